import { totalInOpenAIWords } from "../core/context-overflow.ts";
import type { JsonObject } from "../core/dialect.ts";
import { messageForCallers } from "../core/for-callers.ts";
import { clientClosed, type ErrorCode, GatewayError, providerFailure } from "../core/gateway-error.ts";
import { uncounted } from "../providers/http/count-or-estimate.ts";
import type { Provider, ProviderCall } from "../providers/provider.ts";
import type { AttemptInfo } from "../telemetry/dispatch-telemetry.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { type AdaptedCall, adaptDialect } from "./adapt-dialect.ts";
import type { Probe } from "./breaker-probe.ts";
import { callerBodyFor } from "./caller-body-for.ts";
import { inCallerNames } from "./caller-param.ts";
import { requestedOutputTokens } from "./context-fit.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import type { ClientReply } from "./native-reply.ts";
import type { RefusedHint } from "./refused-hint.ts";
import type { Route } from "./route.ts";
import { RouteAttempt } from "./route-attempt.ts";
import type { RouteHealth } from "./route-health.ts";
import type { RoutingPolicy } from "./routing-policy.ts";
import type { ReadOutcome } from "./stepped-reads.ts";
import { nativeRequest, upstreamBody } from "./upstream-body.ts";
import { withoutHint } from "./without-hint.ts";

/**
 * Failures only the operator can mend (the gateway's credentials or account refused), in the
 * gateway's own words: a caller a breaker they opened refuses is told which (routes-tried.ts).
 */
const OPERATOR_FAULTS: ReadonlySet<ErrorCode> = new Set(["upstream_auth", "upstream_account"]);

/**
 * One attempt at one route, in steps the router takes in its own frame (an attempt makes no async
 * frame of its own): `openAttempt` adapts the call to the route's dialect and opens the attempt,
 * `sendAttempt` sends it under its bounds and, in the same promise, reads the reply as far as the
 * router must before committing (attempt-answer.ts: the whole JSON, or a stream's first event),
 * `committed` makes it the answer,
 * and `attemptFailure` turns anything thrown into a GatewayError whose retry verdict the router acts
 * on, `attemptFailed` ending the attempt with it. The route's health hears of the attempt either way.
 *
 * Throws, before any upstream call, when the call cannot be adapted (a translation that refuses
 * the request, a route that cannot serve the operation), no upstream of the route can take it, or
 * its request cannot be built: no verdict on the route, and no attempt told to telemetry, the
 * audit's list included (nothing was sent: the refusal is the request's). The caller frees the
 * half-open probe slot the request claimed (`DispatchRun.send`).
 */
export function openAttempt(
  route: Route,
  request: DispatchRequest,
  health: RouteHealth,
  attempts: number,
  policy: RoutingPolicy,
  /** What telemetry is told of the attempt (route.ts `attemptInfo`). */
  info: AttemptInfo,
  /** Its admission (`RouteHealth.admit`): whether it probes a half-open breaker. */
  probe: Probe,
  /** Hints (translation-hints.ts) this route's model refused: sent without them this time. */
  without?: readonly RefusedHint[],
): RouteAttempt {
  const unsupported = policy.unsupported ?? "drop";
  // A route over several upstreams (workers) is narrowed to one first, among those the caller's
  // tenant may use: what it serves natively and where a Responses chain is held depend on which.
  const provider: Provider =
    route.provider.select?.(route.upstreamModel, request.responses?.previousHolder, request.tenant) ??
    route.provider;
  const callerBody = callerBodyFor(request, provider);
  let adapted: AdaptedCall = adaptDialect(
    request.operation,
    callerBody,
    provider,
    request.model,
    request.responses,
    unsupported,
    route.upstreamModel,
    request.received,
  );
  if (without) for (const hint of without) adapted = withoutHint(adapted, hint);
  const body = upstreamBody(adapted.body, route.upstreamModel);
  const native =
    adapted.native && request.received && provider.passThrough
      ? nativeRequest(request.received, body, adapted, callerBody !== request.body, provider)
      : undefined;
  // The attempt begins as it is about to be sent: one clock reading for its first bound (armed
  // in `sendAttempt`, in the same run), its route's latency, its audit entry and its metrics.
  const startedMs = performance.now();
  // One object for the attempt: its abort and bounds, what it sends, the reply read's context,
  // telemetry's verdict-then-close order, and the committed answer with its usage (route-attempt.ts).
  const call = new RouteAttempt(
    request.signal,
    health,
    route,
    probe,
    provider,
    adapted,
    request.stream,
    policy,
    // Streams only: a whole answer's usage is read from its body. A same-dialect stream is metered
    // and filtered by the relay itself (no extra stream layers on the hot path); only events that
    // carry usage are looked at.
    request.stream ? new StreamUsageMeter(provider.dialect, provider.writesAnswers !== true) : undefined,
    attempts,
    startedMs,
  );
  call.sent = body;
  call.native = native;
  call.requestId = request.requestId;
  // Told once the attempt exists: one whose making threw was never an attempt, and leaves no entry.
  call.observed = request.telemetry?.attempt(info, startedMs, call);
  health.begin(route.key);
  return call;
}

/**
 * Sends the attempt under its connect (stream) or first-byte bound, and reads the reply as far as
 * the router must before committing (`RouteAttempt.arrived`): one promise for the upstream's
 * answer, its body and what the router makes of them (`outcome`: committed, or the next attempt).
 * The read ends with the attempt.
 */
export function sendAttempt<D>(
  call: RouteAttempt,
  request: DispatchRequest,
  outcome: ReadOutcome<ClientReply, D>,
): Promise<D> {
  const { target } = call;
  call.arm(
    request.stream ? "connect" : "first byte",
    request.stream ? target.timeouts.connectMs : target.timeouts.firstByteMs,
    call.startedMs,
  );
  const traceparent = call.observedTraceparent;
  const sent: Omit<ProviderCall, "signal"> = {
    operation: call.adapted.operation,
    body: call.sent,
    askedModel: request.model,
    stream: request.stream,
    requestId: request.requestId,
    cancel: call,
    timeouts: target.timeouts,
    maxBody: call.maxBody,
    // Absent fields as undefined, not spread from a literal: no object made and copied per call.
    native: call.native,
    traceparent,
    // Only beside a traceparent: most calls have none, and ask nothing more.
    tracestate: traceparent === undefined ? undefined : call.observedTracestate,
    refusalFailsOver: target.refusalFailsOver,
    // The attempt itself: `record` into its meter (a stream's; none for a whole answer).
    meter: call,
    embeddingsAsk: call.adapted.embeddingsAsk,
  };
  // The attempt's one abort listener, reused for a stream's reads: no listener per await.
  return call.readInto(
    call.upstream.call(Object.defineProperty(sent, "signal", SIGNAL_OF_CANCEL) as ProviderCall),
    call,
    outcome,
  );
}

/**
 * A call's `signal`, read on demand: a client that hooks into the attempt (`cancel`) never reads
 * it, and the attempt then makes no AbortController. An own property (a spread of the call, as a
 * provider that rewrites the body makes, copies it), its getter this one function shared by every
 * call, where a getter written in the call's literal was a function made per request.
 */
const SIGNAL_OF_CANCEL: PropertyDescriptor = {
  get(this: ProviderCall): AbortSignal | undefined {
    return this.cancel?.signal;
  },
  enumerable: true,
  configurable: true,
};

/** The answer is the client's: the route's health and telemetry hear it, and who served it. */
export function committed(call: RouteAttempt, request: DispatchRequest, answer: ClientReply): Dispatched {
  const reply = call.replied;
  call.replied = undefined;
  // Never sent again: its body spliced for the route (megabytes, with an image) is let go for as
  // long as the answer streams.
  call.native = undefined;
  const servedBy = reply?.servedBy ?? call.label;
  // One reading for the route's latency, the audit entry's duration and the metrics'.
  const now = performance.now();
  call.health.succeeded(call.target.key, now - call.startedMs, call.probe, request.requestId);
  // A whole answer's usage and model, from its one parse, before the verdict (its span may close
  // with it, and is told them); a stream's are metered as it is relayed.
  if (answer.kind === "bytes" && answer.parsed) call.readWhole(answer.parsed);
  call.judged(undefined, servedBy, now);
  if (reply?.kind === "json") call.done(undefined, now);
  call.route = servedBy;
  call.reply = answer;
  return call;
}

/** Anything an opened attempt threw, as the router acts on it (`attemptFailed` then ends the attempt). */
export function attemptFailure(call: RouteAttempt, request: DispatchRequest, error: unknown): GatewayError {
  if (request.signal.aborted) return abortReason(request.signal);
  const named = inCallerNames(providerFailure(error), call.adapted.callerNames, call.adapted.callerPaths);
  const thrown = withPromptApart(named, call.adapted.body);
  // A count an upstream answered 404 is an operation the route does not serve, not a failure.
  return request.operation === "count_tokens" ? uncounted(call.upstream.name, thrown) : thrown;
}

/**
 * The worker a failed attempt went to, as a served one names it (`worker:<name>`, and `@<node>`
 * for one on another cluster node); undefined when the route's own upstream took it.
 */
export function workerOf(call: RouteAttempt): string | undefined {
  const { upstream } = call;
  return upstream === call.target.provider ? undefined : (upstream.servedBy ?? upstream.name);
}

/**
 * The worker a failed attempt went to as the breaker counts it: `worker:<name>` whichever node
 * holds it, as a newcomer is named (RouteHealth.halfOpen's "never for a name that failed" compares
 * the two); undefined when the route's own upstream took it.
 */
function failedWorkerOf(call: RouteAttempt): string | undefined {
  const { upstream } = call;
  return upstream === call.target.provider ? undefined : upstream.name;
}

/**
 * The attempt failed with `failure`: it ends, its route judged. `lastUpstream`: no other upstream
 * of the route takes calls for the model (worker-repicks.ts: every other worker failed it already,
 * drains or is gone; one merely busy is not), so an upstream's own fault is the route's too.
 * `recorded`: what the attempt's audit entry, metrics and span say it failed with, when not
 * `failure` (a worker's restart its node said, where another node's refusal was ranked over it).
 */
export function attemptFailed(
  call: RouteAttempt,
  request: DispatchRequest,
  failure: GatewayError,
  lastUpstream: boolean,
  recorded: GatewayError = failure,
): GatewayError {
  const { health, target, upstream, probe } = call;
  // A route whose workers are not connected yet, or all busy, has not failed: opening its
  // breaker would refuse the model for a cooldown after the worker arrives.
  const capacity = failure.code === "no_route_available" || failure.code === "unavailable";
  // A worker lost is that worker's end, not the route's: it leaves the directory, and the route's
  // other workers serve on (one worker's crash with five requests on it must not open the breaker
  // of `workers/<model>` and refuse the model on every worker).
  const workerGone = failure.code === "worker_lost";
  // So is a worker's model server that is down, refuses the worker's key or fails (5xx): the
  // registry judges that worker (and passes over it while others serve the model); counted here,
  // it would refuse the model on every worker. Counted once no other worker was left to take the
  // call: every worker failed it (all sharing a bad key, say), so the route is down as a whole, and
  // its breaker sends the next callers to the model's other routes, or a 503 saying when to come
  // back, instead of having each one try every worker first.
  const upstreamsOwn = !lastUpstream && upstream.ownFault?.(failure) === true;
  // An upstream that says 429 is up and answering, only not for us right now: it is retried and
  // failed over like any retryable failure, but never taken out, or every caller would get the
  // breaker's 503 for a cooldown instead of the upstream's own 429 and its Retry-After. A 429 that
  // no wait on the route ends (`sameRouteAgain: false`: a day's quota spent) is the route's until
  // the quota resets, as a spent account's refusal is, and counted so; one for the request's own
  // size (a tier's) is not (`countsAgainstRoute: false`).
  const rateLimited = failure.status === 429 && failure.sameRouteAgain;
  // Routes to one upstream model share its breaker, whatever their own timeouts: this attempt's
  // bound passing sooner than another of those routes waits is no verdict on the upstream (a
  // model entry with a 1 s first_byte must not take it from one that waits 10 minutes), until
  // the upstream has answered nothing for that longer bound (route-health.ts). A bound as long
  // as any of theirs counts: no route would have had its answer in time.
  const longer = call.longerWait();
  const impatient = longer !== undefined && !health.answeredNothingFor(target.key, longer);
  const now = performance.now();
  // Waited in vain is a measurement too, whether or not the breaker counts it: `latency` ranks the
  // route as at least that slow (a route that began to hang is first no more). Waited as long as
  // any route waits, its upstream (a worker) is judged when it said nothing at all meanwhile.
  if (call.timedOutUnanswered()) {
    health.timedOut(target.key, now - call.startedMs);
    if (longer === undefined) upstream.silenced?.(call);
  }
  if (
    failure.retryable &&
    failure.countsAgainstRoute &&
    !capacity &&
    !rateLimited &&
    !workerGone &&
    !upstreamsOwn &&
    !impatient
  ) {
    // The breaker's warning quotes the upstream as the access line does: account ids scrubbed.
    const words = messageForCallers(failure);
    const operators = OPERATOR_FAULTS.has(failure.code) ? words : undefined;
    health.failed(target.key, words, probe, request.requestId, failedWorkerOf(call), operators);
  } else health.released(target.key, probe);
  call.abort(failure);
  call.judged(recorded, workerOf(call), now);
  call.done(failure, now);
  return failure;
}

/** Why the caller's signal ended the request: a reason it carries (a revoked key), or the client left. */
export const abortReason = (signal: { readonly reason: unknown }): GatewayError =>
  signal.reason instanceof GatewayError ? signal.reason : clientClosed();

/**
 * A context refusal that counts the prompt and `max_tokens` together (Moonshot's), said with the
 * two apart by the bound this attempt sent: Anthropic callers then hear whether the prompt alone
 * fits (core/anthropic-errors.ts contextRefusal), and a translation's bound can be lowered to fit
 * (refused-hint.ts). A failed attempt's, never on an answer's path.
 */
function withPromptApart(failure: GatewayError, sent: JsonObject): GatewayError {
  if (failure.code !== "context_length_exceeded") return failure;
  const message = totalInOpenAIWords(failure.message, requestedOutputTokens(sent));
  return message === undefined ? failure : failure.with({ message });
}
