import { GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { holdsNoAnswer } from "../core/holds-no-answer.ts";
import { raceAbort } from "../core/race-abort.ts";
import type { SseEvent } from "../core/sse.ts";
import { asResponse } from "../providers/http/feed-response.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import { noAnswer } from "../providers/http/read-reply.ts";
import type { Provider } from "../providers/provider.ts";
import { type AdaptedCall, adaptDialect } from "../routing/adapt-dialect.ts";
import { callerBodyFor } from "../routing/caller-body-for.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { stripClientRouting } from "../routing/strip-client-routing.ts";
import { nativeRequest } from "../routing/upstream-body.ts";
import type { CopyTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { UnsupportedPolicy } from "../translate/dropped.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { AnswerStream, answerFromJson } from "./answer.ts";
import { copyResponsesContext } from "./copy-responses-context.ts";
import { EventStreamEnd } from "./copy-stream-end.ts";
import {
  answered,
  type CopyClock,
  failed,
  heldWithin,
  NO_USAGE,
  readCopy,
  type ShadowOutcome,
} from "./read-copy.ts";
import type { ShadowThread } from "./shadow-thread-client.ts";

export type { ShadowOutcome } from "./read-copy.ts";

/** What a capturing `fetch` answers: the provider hands it back unread (a `native` call). */
const CAPTURED = new Response(null);

/** What a copy's request would have been, once its provider has built it. */
interface Captured {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer>;
}

/**
 * What a copy that no upstream had a slot to spare for answers: it was never sent, and is counted
 * as shed (shadow-runner.ts), as a copy over `shadow.max_concurrent` is.
 */
export const SHED: ShadowOutcome = {
  status: 0,
  errorClass: null,
  latencyMs: 0,
  ttftMs: null,
  usage: NO_USAGE,
  answer: null,
};

/**
 * A copy its route cannot carry as the caller asked (a field its dialect has no place for, under
 * `translation.unsupported: reject`; a part it cannot take under any policy): never sent, so never
 * compared, as an answer to the caller's request, with an answer to another one. Counted as
 * skipped (shadow-runner.ts), never against the candidate, which never saw it.
 */
const notCarried = (refusal: GatewayError): ShadowOutcome => ({ ...SHED, notCarried: refusal });

/**
 * The upstream a copy goes to. A route over connected workers is narrowed to one the caller's
 * tenant may use, as the primary's is (a copy never reaches another tenant's worker), and that
 * keeps a slot free for the clients once the copy has its own: a copy goes off the client's path,
 * so it never takes capacity a client's request would find missing. Undefined: none can spare one.
 */
function copyUpstream(route: Route, tenant: string): Provider | undefined {
  const provider = route.provider;
  if (provider.spare) return provider.spare(route.upstreamModel, tenant);
  return provider.select?.(route.upstreamModel, undefined, tenant) ?? provider;
}

/**
 * Sends the copy to the shadow route in the request's own mode (a stream is consumed as a
 * stream) and reads the answer into the caller's dialect. Never throws: a failure is an
 * outcome. `signal` carries the shadow's own timeout, never the client's.
 *
 * When the shadow's upstream speaks the caller's dialect (the common case), the copy is the
 * client's own bytes with the model spliced in, as the primary sends them, and the answer is
 * read as bytes and parsed once at its end: no re-serialised request, no event objects, no
 * per-event promise. Other routes go through the provider's translated reply.
 */
export async function callShadow(
  route: Route,
  request: DispatchRequest,
  signal: AbortSignal,
  thread?: Pick<ShadowThread, "exchange">,
  /** The copy's trace context (its span's, or the caller's passed on), sent as an attempt's is. */
  traced?: Pick<CopyTelemetry, "traceparent" | "tracestate">,
  /** `translation.unsupported`: a copy drops what its route cannot carry only as a primary would. */
  policy: UnsupportedPolicy = "drop",
): Promise<ShadowOutcome> {
  const started = performance.now();
  const clock: CopyClock = { started, ttftMs: null };
  let provider: Provider | undefined;
  try {
    provider = copyUpstream(route, request.tenant);
    if (!provider) return SHED;
    const sent = await sendCopy(provider, route, request, signal, clock, thread, traced, policy);
    return sent.notCarried ? sent : servedAs(sent, route, provider);
  } catch (error) {
    return servedAs(failed(toGatewayError(signal.aborted ? signal.reason : error), clock), route, provider);
  }
}

/**
 * The copy's outcome naming the upstream that took it when its route chose one (a worker of a
 * `workers` route: `worker:<name>`, `@<node>` for one on another cluster node), as the primary's
 * audit row names the worker that served it; the route's label stands otherwise.
 */
function servedAs(outcome: ShadowOutcome, route: Route, provider: Provider | undefined): ShadowOutcome {
  if (provider === undefined || provider === route.provider) return outcome;
  return { ...outcome, servedBy: provider.servedBy ?? provider.name };
}

/** Sends the copy to `provider` (its route's upstream, or the one it chose) and reads its answer. */
async function sendCopy(
  provider: Provider,
  route: Route,
  request: DispatchRequest,
  signal: AbortSignal,
  clock: CopyClock,
  thread: Pick<ShadowThread, "exchange"> | undefined,
  traced: Pick<CopyTelemetry, "traceparent" | "tracestate"> | undefined,
  policy: UnsupportedPolicy,
): Promise<ShadowOutcome> {
  const callerBody = callerBodyFor(request, provider);
  const adapted = adaptedCopy(request, callerBody, provider, route, policy);
  if (adapted instanceof GatewayError) return notCarried(adapted);
  const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel });
  const native =
    adapted.native && request.received && provider.passThrough
      ? nativeRequest(request.received, body, adapted, callerBody !== request.body, provider)
      : undefined;
  // With the shadow thread, a native copy's provider builds its request as usual (URL,
  // credentials, headers, the client's bytes) and hands it here instead of sending it.
  let captured: Captured | undefined;
  const offload =
    thread && native
      ? async (url: string | URL | Request, init?: RequestInit) => {
          captured = {
            url: String(url),
            headers: init?.headers as Record<string, string>,
            body: init?.body as string | Uint8Array<ArrayBuffer>,
          };
          return CAPTURED;
        }
      : undefined;
  const reply = await raceAbort(
    provider.call({
      operation: adapted.operation,
      body,
      askedModel: request.model,
      stream: request.stream,
      requestId: `${request.requestId}-shadow`,
      signal,
      timeouts: route.timeouts,
      traceparent: traced?.traceparent,
      tracestate: traced?.traceparent === undefined ? undefined : traced.tracestate,
      ...(native ? { native } : {}),
      ...(offload ? { offload: offload as typeof fetch } : {}),
    }),
    signal,
    "reject",
  );
  const target = {
    label: route.label,
    dialect: provider.dialect,
    operation: request.operation,
    stream: request.stream,
  };
  if (thread && captured) {
    return await thread.exchange({ provider: provider.name, ...captured, target }, signal);
  }
  if (reply.kind === "http") return await readCopy(asResponse(reply.response), target, signal, clock);
  if (reply.kind === "json") {
    // An answer its provider built with none in it fails the copy as it fails the primary (attempt-answer.ts).
    if (holdsNoAnswer(adapted.operation, reply.body)) throw noAnswer(route.label);
    const usageOf = provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
    const answer = answerFromJson(request.operation, adapted.json(reply.body));
    return answered(clock, reply.usage ?? usageOf(reply.body), answer);
  }
  return await readEvents(reply.events, route, request, adapted, signal, clock);
}

/**
 * The copy in its route's dialect, or why the route cannot carry it (`notCarried`): a
 * translation's refusal (a 400, before anything is sent) is the request's, not the candidate's.
 * Anything else it throws is the copy's failure (`callShadow`).
 */
function adaptedCopy(
  request: DispatchRequest,
  callerBody: DispatchRequest["body"],
  provider: Provider,
  route: Route,
  policy: UnsupportedPolicy,
): AdaptedCall | GatewayError {
  try {
    return adaptDialect(
      request.operation,
      callerBody,
      provider,
      request.model,
      copyResponsesContext(request.responses),
      policy,
      route.upstreamModel,
      request.received,
    );
  } catch (error) {
    const refused = toGatewayError(error);
    if (refused.status === 400) return refused;
    throw error;
  }
}

/**
 * A translated stream, event by event: each read races the shadow's own timeout. A reader of the
 * caller's events (as the front door is), not a translation loop: `adapted.stream` is the driver.
 */
async function readEvents(
  events: AsyncIterable<SseEvent>,
  route: Route,
  request: DispatchRequest,
  adapted: AdaptedCall,
  signal: AbortSignal,
  clock: CopyClock,
): Promise<ShadowOutcome> {
  const meter = new StreamUsageMeter(route.provider.dialect);
  const translated = adapted.stream?.(events, (found) => meter.record(found));
  const reader = new AnswerStream(request.operation);
  // A translation fails a stream cut short itself; same-dialect events are judged here.
  const end = translated ? undefined : new EventStreamEnd(route.label);
  const iterator = (translated ? translated.events : events)[Symbol.asyncIterator]();
  try {
    // An upstream that stalls mid-stream is cut off by the race, whatever the provider does.
    for (
      let next = await raceAbort(iterator.next(), signal, "reject");
      !next.done;
      next = await raceAbort(iterator.next(), signal, "reject")
    ) {
      clock.ttftMs ??= performance.now() - clock.started;
      if (end) {
        meter.observe(next.value);
        end.event(next.value);
      }
      reader.event(next.value.data);
      heldWithin(reader.held, route.label, DEFAULT_MAX_UPSTREAM_BODY);
    }
  } catch (error) {
    // Cut by its signal or past the bound: the provider's stream is let go.
    void iterator.return?.();
    throw error;
  }
  const failure = end?.failure();
  if (failure) throw failure;
  return answered(clock, meter.usage, reader.answer());
}
