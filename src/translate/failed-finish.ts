import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import { clippedReason, type UnknownFinish } from "./unknown-finish.ts";

/** The caller's `finish_reason` for a turn that ended in an answer (OpenAI chat's closed set). */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * How a vendor's finish reasons read: those that end an answer (as the caller's `finish_reason`,
 * filters included) and those that end the turn in failure (in words). A reason in neither is one
 * the vendor added since, or a compatible server's own: added reasons were normal ends too
 * (Bedrock's `model_context_window_exceeded`), so it is judged by what the turn produced. A turn
 * that wrote text or tool calls is an answer (`stop`, `tool_calls`); one that wrote nothing fails,
 * as an empty `stop` would hide a failure. Either way the reason is told (`UnknownFinish`).
 */
export interface FinishReasons {
  /** The field that says it, as the message names it: `Gemini finishReason`, `Bedrock stopReason`. */
  readonly field: string;
  readonly answers: Readonly<Record<string, FinishReason>>;
  readonly failures: Readonly<Record<string, string>>;
  /**
   * Failures the request itself fixes, not chance: every route to the same vendor API meets them
   * again for the same request (Gemini's MISSING_THOUGHT_SIGNATURE, a history without the
   * signature it needs), so no retry of the route is spent on them, nor a call of the model's other
   * routes of that API (`sameApiAgain`); a route of another API is tried, and with none the caller
   * is told not to send the request again as it is (`x-should-retry: false`).
   */
  readonly sameEveryTime?: ReadonlySet<string>;
}

/** What a turn wrote by its finish: an unknown reason after some text or a tool call is an answer. */
export interface TurnOutput {
  readonly produced: boolean;
}

/**
 * The failure a turn's finish reason says, if it says one. Never an empty `stop` (a failed tool
 * call would look like a finished empty answer): a retryable 502 and, once a stream has begun, its
 * error event. Such a finish is mostly stochastic, and asking again is the usual remedy: the same
 * route is tried again under `routing.retries`, then the next (one of `sameEveryTime`: the next
 * route of another API at once). Mostly the caller's own tools or prompt bring it on, so the
 * route's breaker does not count it (two such prompts must not take the route from every caller). The vendor billed the turn: its usage rides on the failure.
 */
export function finishFailure(
  reasons: FinishReasons,
  reason: string | undefined,
  turn: TurnOutput,
  usage: () => Usage | undefined,
  unknown?: UnknownFinish,
): GatewayError | undefined {
  // An empty reason is none, as a stream's events before its last say it.
  if (!reason || Object.hasOwn(reasons.answers, reason)) return undefined;
  const known = Object.hasOwn(reasons.failures, reason);
  if (!known) {
    unknown?.(reasons.field, reason);
    if (turn.produced) return undefined;
  }
  const failure = known
    ? reasons.failures[reason]
    : "the model stopped for a reason the gateway does not know, having written nothing";
  const billed = usage();
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${failure} (${reasons.field} ${known ? reason : clippedReason(reason)})`,
    retryable: true,
    ...(known && reasons.sameEveryTime?.has(reason) ? { sameRouteAgain: false, sameApiAgain: false } : {}),
    countsAgainstRoute: false,
    ...(billed ? { usage: billed } : {}),
  });
}

/**
 * The caller's `finish_reason` for a turn that ended in an answer: its reason's, `stop` for none or
 * one the gateway does not know; `tool_calls` in place of `stop` when the turn called tools.
 */
export function answerFinish(
  reasons: FinishReasons,
  reason: string | undefined,
  calledTools: boolean,
): FinishReason {
  const finish =
    (reason !== undefined && Object.hasOwn(reasons.answers, reason) ? reasons.answers[reason] : undefined) ??
    "stop";
  return finish === "stop" && calledTools ? "tool_calls" : finish;
}
