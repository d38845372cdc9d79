import type { GatewayError } from "../core/gateway-error.ts";
import type { TraceparentValue } from "../core/traceparent.ts";
import type { Usage } from "../core/usage.ts";

/**
 * An attempt's request as far as its client can tell (routing/attempt.ts, core/cancel-hook.ts
 * `requestUnsent`): `unsent` while a client that can tell has not written it all to the upstream.
 */
export interface OutgoingRequest {
  readonly unsent: boolean;
}

/** One upstream attempt as the router describes it. */
export interface AttemptInfo {
  /** `provider:<name>`, or `workers` before a worker is picked. */
  readonly route: string;
  /**
   * Who serves the attempt, as the OpenTelemetry GenAI conventions name it: `gen_ai.provider.name`
   * on spans (the provider's `vendor`, else its dialect: `openai`, `anthropic`).
   */
  readonly vendor: string;
  readonly upstreamModel: string;
  /** 0 for the first try on this route. */
  readonly retry: number;
  /** True when an earlier route of this request failed. */
  readonly failover: boolean;
}

/** Told about one attempt as it happens; each method is called at most once. */
export interface AttemptTelemetry {
  /**
   * The W3C `traceparent` to send upstream with this attempt, when there is one: its span's, or the
   * caller's own passed on unchanged (core/traceparent.ts).
   */
  readonly traceparent: TraceparentValue | undefined;
  /**
   * The W3C `tracestate` to send beside `traceparent` (never without it): its span's trace state,
   * or the caller's own passed on unchanged (core/tracestate.ts). Absent: none.
   */
  readonly tracestate?: string | undefined;
  /**
   * The verdict: the answer was committed (no error) or the attempt failed, at `settledMs`
   * (`performance.now()`, read once by the router for the route's health, the audit entry and
   * metrics alike: a clock read is ~70–110 ns on a virtual machine).
   */
  settled(error: GatewayError | undefined, servedBy: string | undefined, settledMs: number): void;
  /**
   * The attempt's upstream work is over (its stream ended or was cut); always after `settled`.
   * `closedMs`: a `performance.now()` the caller read at this moment already (the verdict's, when
   * the close is told with it), else a handle that times the close reads its own. `answer`: what
   * the answer the client got of this attempt reported, read now (its stream is over); absent
   * for an attempt that failed.
   */
  closed(error?: GatewayError, closedMs?: number, answer?: AttemptAnswer): void;
}

/** What an attempt's answer reported of itself (the router's attempt is one: routing/route-attempt.ts). */
export interface AttemptAnswer {
  /** The usage the upstream reported (0 where it reported none). */
  usage(): Usage;
  /** The model the upstream says answered, where it named one (translate/answered-model.ts). */
  answeredModel(): string | undefined;
}

/**
 * A shadow copy of the request (shadow/), sent off the client's path: its client span and the
 * trace context it sends upstream. No attempt metrics: a copy is no attempt of the request
 * (`mindgw_shadow_*` count copies).
 */
export type CopyTelemetry = Pick<AttemptTelemetry, "traceparent" | "tracestate" | "closed">;

/**
 * What the router tells telemetry about a request's upstream attempts. Absent when metrics and
 * tracing are both off, so the router pays nothing then.
 */
export interface DispatchTelemetry {
  /**
   * An attempt begins at `startedMs` (`performance.now()`, read once by the router for the
   * attempt's bounds, its route's latency, the audit entry and metrics alike). `request`: whether
   * its request is out at the upstream, read when it matters (the request's log: a client that
   * leaves owes the prompt only once an upstream has it).
   */
  attempt(info: AttemptInfo, startedMs: number, request?: OutgoingRequest): AttemptTelemetry;
  /**
   * A shadow copy begins at `startedMs` (its route's first try: `info.retry` 0, no failover);
   * undefined when there is nothing to trace and no caller's `traceparent` to pass on.
   */
  shadowCopy?(info: AttemptInfo, startedMs: number): CopyTelemetry | undefined;
}
