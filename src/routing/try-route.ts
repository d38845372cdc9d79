import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { clientClosed, GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE } from "../core/sse.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { NativeRequest, Provider } from "../providers/provider.ts";
import type { AttemptTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { parseEventData } from "../translate/parse-body.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type AdaptedCall, adaptDialect } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import { AttemptVerdict } from "./attempt-verdict.ts";
import type { Dispatched, DispatchRequest, ReceivedRequest } from "./dispatch.ts";
import { EventChunks, EventReader, type Pass } from "./event-chunks.ts";
import { readNativeReply } from "./native-reply.ts";
import type { Route } from "./route.ts";
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
  const maxLine = policy.maxSseLine ?? DEFAULT_MAX_SSE_LINE;
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
  const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel });
  const native =
    adapted.native && request.received && provider.passThrough
      ? nativeRequest(request.received, body, adapted)
      : undefined;
  const attempt = new Attempt(request.signal, route.timeouts, route.label, request.followers);
  const started = performance.now();
  // Streams only: a whole answer's usage is read from its body.
  const meter = request.stream ? new StreamUsageMeter(provider.dialect) : undefined;
  health.begin(route.key);
  // Telemetry hears an attempt's verdict before its close (attempt-verdict.ts).
  const verdict = new AttemptVerdict(attempt, health, route.key, observed);
  const done = verdict.done;
  const usage = meter ? () => meter.usage ?? noUsage() : noUsage;
  const usageOf = provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
  // A same-dialect stream is metered and filtered by the relay itself (no extra stream layers
  // on the hot path); only events that carry usage are looked at.
  const keep = adapted.keep;
  const pass: Pass = meter
    ? (event) => {
        meter.observe(event);
        return keep ? keep(event) : true;
      }
    : passAll;
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
    const dropped = adapted.dropped ?? NOTHING_DROPPED;
    if (reply.kind === "http") {
      const answered = adapted.native?.answered;
      const answer = await readNativeReply(reply.response, {
        label: route.label,
        attempt,
        stream: request.stream,
        maxLine,
        maxBody,
        onUsage: answered ? storing(pass, answered) : pass,
        done,
        onBody: answered,
      });
      health.succeeded(route.key, performance.now() - started);
      verdict.judged(undefined, servedBy);
      // A whole answer's usage, from its one parse; a stream's is metered as it is relayed.
      const found = answer.kind === "bytes" && answer.parsed ? usageOf(answer.parsed) : undefined;
      return {
        route: servedBy,
        upstreamModel: route.upstreamModel,
        attempts,
        dropped,
        reply: answer,
        usage: found ? () => found : usage,
      };
    }
    if (reply.kind === "json") {
      const found = usageOf(reply.body);
      const translated = adapted.json(reply.body);
      health.succeeded(route.key, performance.now() - started);
      verdict.judged(undefined, servedBy);
      done();
      return {
        route: servedBy,
        upstreamModel: route.upstreamModel,
        attempts,
        dropped,
        reply: { kind: "json", body: translated },
        usage: () => found ?? usage(),
      };
    }
    // Translate before committing: a stream that fails before its first translated event
    // may still be retried or failed over.
    attempt.arm("first byte", route.timeouts.firstByteMs);
    const translated = adapted.stream?.(reply.events, (found) => meter?.record(found));
    const source = translated ? translated.events : reply.events;
    const reader = new EventReader(source[Symbol.asyncIterator](), attempt, translated ? undefined : pass);
    const first = await reader.next();
    health.succeeded(route.key, performance.now() - started);
    verdict.judged(undefined, servedBy);
    const chunks = new EventChunks(first, reader, attempt, done);
    const errorEvent = translated?.errorEvent;
    return {
      route: servedBy,
      upstreamModel: route.upstreamModel,
      attempts,
      dropped,
      reply: { kind: "stream", chunks, ...(errorEvent ? { errorEvent } : {}) },
      usage,
    };
  } catch (error) {
    const failure = request.signal.aborted ? abortReason(request.signal) : toGatewayError(error);
    // A route whose workers are not connected yet, or all busy, has not failed: opening its
    // breaker would refuse the model for a cooldown after the worker arrives.
    const capacity = failure.code === "no_route_available" || failure.code === "unavailable";
    if (failure.retryable && !capacity) health.failed(route.key);
    else health.released(route.key);
    attempt.abort(failure);
    // A failed attempt names the worker it went to, as a served one does (`worker:<name>`).
    verdict.judged(failure, provider === route.provider ? undefined : provider.name);
    done(failure);
    throw failure;
  }
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
  const steered = CLIENT_ROUTING_FIELDS.some((field) => field in received.body);
  const bytes =
    steered || adapted.native?.rewritten
      ? undefined
      : spliceBody(received.bytes, received.body, String(body.model), adapted.native?.forcedUsage === true);
  return { headers: received.headers, query: received.query, bytes, path: received.path };
}

/** A native Responses stream's `response.completed` event carries the response to store (and usage). */
function storing(pass: Pass, answered: (response: JsonObject) => void): Pass {
  return (event) => {
    if (event.event === "response.completed") {
      const parsed = parseEventData(event.data);
      if (isJsonObject(parsed) && isJsonObject(parsed.response)) answered(parsed.response);
    }
    return pass(event);
  };
}

/** Shared by every answer that dropped nothing (never written to). */
const NOTHING_DROPPED: readonly string[] = Object.freeze([]);

const noUsage = () => ({ inputTokens: 0, outputTokens: 0 });
/** A whole answer's relay sees no events. */
const passAll: Pass = () => true;

/** Why the caller's signal ended the request: a reason it carries (a revoked key), or the client left. */
export const abortReason = (signal: AbortSignal): GatewayError =>
  signal.reason instanceof GatewayError ? signal.reason : clientClosed();
