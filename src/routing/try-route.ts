import type { JsonObject } from "../core/dialect.ts";
import { clientClosed, GatewayError, toGatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { NativeRequest, Provider } from "../providers/provider.ts";
import type { AttemptTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type AdaptedCall, adaptDialect } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import type { Dispatched, DispatchRequest, ReceivedRequest } from "./dispatch.ts";
import { EventChunks, EventReader } from "./event-chunks.ts";
import { type ClientReply, readNativeReply } from "./native-reply.ts";
import type { Route } from "./route.ts";
import { RouteAttempt } from "./route-attempt.ts";
import type { RouteHealth } from "./route-health.ts";
import type { RoutingPolicy } from "./routing-policy.ts";
import { spliceBody } from "./splice-body.ts";
import { CLIENT_ROUTING_FIELDS, stripClientRouting } from "./strip-client-routing.ts";

/**
 * One attempt at one route: the call adapted to the route's dialect, sent under its own timeouts,
 * and read until the answer is committed (the whole JSON, or a stream's first event). Throws a
 * GatewayError whose retry verdict the router acts on; reports the route's health either way.
 */
export async function tryRoute(
  route: Route,
  request: DispatchRequest,
  health: RouteHealth,
  attempts: number,
  policy: RoutingPolicy,
  observed: AttemptTelemetry | undefined,
): Promise<Dispatched> {
  const unsupported = policy.unsupported ?? "drop";
  const maxBody = policy.maxUpstreamBody ?? DEFAULT_MAX_UPSTREAM_BODY;
  let adapted: AdaptedCall;
  let provider: Provider;
  try {
    // A route over several upstreams (workers) is narrowed to one first: what it serves natively
    // and where a Responses chain is held depend on which.
    provider =
      route.provider.select?.(route.upstreamModel, request.responses?.previousHolder) ?? route.provider;
    adapted = adaptDialect(
      request.operation,
      request.body,
      provider,
      request.model,
      request.responses,
      unsupported,
    );
  } catch (error) {
    // Refused before any upstream call: no verdict on the route, but a half-open probe
    // slot this request claimed must be freed, or the route would never be probed again.
    health.released(route.key);
    observed?.settled(toGatewayError(error));
    observed?.closed();
    throw error;
  }
  const body = upstreamBody(adapted.body, route.upstreamModel);
  const native =
    adapted.native && request.received && provider.passThrough
      ? nativeRequest(request.received, body, adapted)
      : undefined;
  const attempt = new Attempt(request.signal, route.timeouts, route.label);
  const started = performance.now();
  health.begin(route.key);
  // One object for the attempt: the reply read's context, telemetry's verdict-then-close order,
  // and the committed answer with its usage (route-attempt.ts).
  const call = new RouteAttempt(
    attempt,
    health,
    route,
    observed,
    adapted,
    request.stream,
    policy,
    // Streams only: a whole answer's usage is read from its body. A same-dialect stream is metered
    // and filtered by the relay itself (no extra stream layers on the hot path); only events that
    // carry usage are looked at.
    request.stream ? new StreamUsageMeter(provider.dialect) : undefined,
    attempts,
  );
  try {
    attempt.arm(
      request.stream ? "connect" : "first byte",
      request.stream ? route.timeouts.connectMs : route.timeouts.firstByteMs,
    );
    // The attempt's one abort listener, reused for a stream's reads: no listener per await.
    const reply = await attempt.read(
      provider.call({
        operation: adapted.operation,
        body,
        stream: request.stream,
        requestId: request.requestId,
        signal: attempt.signal,
        timeouts: route.timeouts,
        maxBody,
        // Absent fields as undefined, not spread from a literal: no object made and copied per call.
        native,
        traceHeaders: observed?.headers,
      }),
    );
    const servedBy = reply.servedBy ?? route.label;
    const usageOf = provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
    if (reply.kind === "http") {
      const answer = await readNativeReply(reply.response, call);
      health.succeeded(route.key, performance.now() - started);
      call.judged(undefined, servedBy);
      // A whole answer's usage, from its one parse; a stream's is metered as it is relayed.
      if (answer.kind === "bytes" && answer.parsed) call.found = usageOf(answer.parsed);
      return committed(call, servedBy, answer);
    }
    if (reply.kind === "json") {
      call.found = usageOf(reply.body);
      const translated = adapted.json(reply.body);
      health.succeeded(route.key, performance.now() - started);
      call.judged(undefined, servedBy);
      call.done();
      return committed(call, servedBy, { kind: "json", body: translated });
    }
    const events = await firstEvent(call, reply.events, adapted);
    health.succeeded(route.key, performance.now() - started);
    call.judged(undefined, servedBy);
    const chunks = new EventChunks(events.first, events.reader, attempt, events.done);
    const errorEvent = events.errorEvent;
    return committed(call, servedBy, { kind: "stream", chunks, ...(errorEvent ? { errorEvent } : {}) });
  } catch (error) {
    const failure = request.signal.aborted ? abortReason(request.signal) : toGatewayError(error);
    // A route whose workers are not connected yet, or all busy, has not failed: opening its
    // breaker would refuse the model for a cooldown after the worker arrives.
    const capacity = failure.code === "no_route_available" || failure.code === "unavailable";
    if (failure.retryable && !capacity) health.failed(route.key);
    else health.released(route.key);
    attempt.abort(failure);
    // A failed attempt names the worker it went to, as a served one does (`worker:<name>`).
    call.judged(failure, provider === route.provider ? undefined : provider.name);
    call.done(failure);
    throw failure;
  }
}

/**
 * A stream of decoded events (a translation, or a provider that yields events) read until its
 * first event: a stream that fails before its first translated event may still be retried or
 * failed over. The closures it needs are made here, on this path only, so `tryRoute` itself
 * closes over nothing (no scope object for it per attempt).
 */
async function firstEvent(call: RouteAttempt, events: AsyncIterable<SseEvent>, adapted: AdaptedCall) {
  const attempt = call.attempt;
  attempt.arm("first byte", attempt.timeouts.firstByteMs);
  const translated = adapted.stream?.(events, (found) => call.record(found));
  const source = translated ? translated.events : events;
  const reader = new EventReader(
    source[Symbol.asyncIterator](),
    attempt,
    translated ? undefined : (event) => call.onUsage(event),
  );
  const first = await reader.next();
  const done = (error?: GatewayError) => call.done(error);
  return { reader, first, done, errorEvent: translated?.errorEvent };
}

/** The attempt as the committed answer: who served it, and what the client gets. */
function committed(call: RouteAttempt, servedBy: string, reply: ClientReply): Dispatched {
  call.route = servedBy;
  call.reply = reply;
  return call;
}

/**
 * The client's request as a same-dialect upstream gets it: its bytes with the model spliced in —
 * unless it carries client routing fields, which never leave the gateway (then `body`, stripped,
 * is serialised instead).
 */
export function nativeRequest(
  received: ReceivedRequest,
  body: JsonObject,
  adapted: AdaptedCall,
): NativeRequest {
  const steered = hasAny(received.body, CLIENT_ROUTING_FIELDS);
  const bytes =
    steered || adapted.native?.rewritten
      ? undefined
      : spliceBody(received.bytes, received.body, String(body.model), adapted.native?.forcedUsage === true);
  return { headers: received.headers, query: received.query, bytes, path: received.path };
}

/**
 * The body as the route's upstream gets it: the route's model, no client routing fields. Copied
 * only when that changes it: the caller's body stays as received for the next route, and a
 * route that keeps the model's name takes a body without such fields as it is (no copy per attempt).
 */
function upstreamBody(body: JsonObject, model: string): JsonObject {
  if (body.model === model && !hasAny(body, CLIENT_ROUTING_FIELDS)) return body;
  return stripClientRouting({ ...body, model });
}

/** Whether the body has any of the fields (a loop: no closure per call, as `some` would make). */
function hasAny(body: JsonObject, fields: readonly string[]): boolean {
  for (const field of fields) if (field in body) return true;
  return false;
}

/** Why the caller's signal ended the request: a reason it carries (a revoked key), or the client left. */
export const abortReason = (signal: { readonly reason: unknown }): GatewayError =>
  signal.reason instanceof GatewayError ? signal.reason : clientClosed();
