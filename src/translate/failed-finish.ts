import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";

/**
 * How a vendor's finish reasons read: those that end an answer (as the caller's `finish_reason`,
 * filters included) and those that end the turn in failure (in words). A reason in neither is one
 * the vendor added since: read as a failure, because every reason Gemini and Bedrock added after
 * their first few was a failure or a filter, and an empty `stop` would hide either.
 */
export interface FinishReasons {
  /** The field that says it, as the message names it: `Gemini finishReason`, `Bedrock stopReason`. */
  readonly field: string;
  readonly answers: Readonly<Record<string, string>>;
  readonly failures: Readonly<Record<string, string>>;
}

/**
 * The failure a turn's finish reason says, if it says one. Never an empty `stop` (a failed tool
 * call would look like a finished empty answer): a retryable 502 and, once a stream has begun, its
 * error event. Such a finish is stochastic, and asking again is the usual remedy: the same route
 * is tried again under `routing.retries`, then the next. Mostly the caller's own tools or prompt
 * bring it on, so the route's breaker does not count it (two such prompts must not take the route
 * from every caller). The vendor billed the turn: its usage rides on the failure.
 */
export function finishFailure(
  reasons: FinishReasons,
  reason: string | undefined,
  usage: () => Usage | undefined,
): GatewayError | undefined {
  // An empty reason is none, as a stream's events before its last say it.
  if (!reason || Object.hasOwn(reasons.answers, reason)) return undefined;
  const failure = Object.hasOwn(reasons.failures, reason)
    ? reasons.failures[reason]
    : "the model stopped for a reason the gateway does not know";
  const billed = usage();
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${failure} (${reasons.field} ${reason})`,
    retryable: true,
    countsAgainstRoute: false,
    ...(billed ? { usage: billed } : {}),
  });
}

/** The caller's `finish_reason` for a reason that ends an answer (`stop` for one that does not). */
export const answerFinish = (reasons: FinishReasons, reason: string | undefined): string =>
  (reason !== undefined && Object.hasOwn(reasons.answers, reason) ? reasons.answers[reason] : undefined) ??
  "stop";
