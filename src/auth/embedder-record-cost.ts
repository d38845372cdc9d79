import { isThenable } from "../core/is-thenable.ts";
import type { SharedCharge } from "./policy.ts";

const ignore = () => {};

/** What `answer` is in a log line: its value where it is a number or a text, else its kind. */
function described(answer: unknown): string {
  if (typeof answer === "number") return answer < 0 ? `${answer} (a cost is at least 0)` : String(answer);
  if (typeof answer === "string") return `a text, ${JSON.stringify(answer.slice(0, 40))}`;
  if (answer === null) return "null";
  if (isThenable(answer)) return "a promise (record is synchronous: return the cost, or a SharedCharge)";
  if (typeof answer === "object") {
    const { costUsd, counted } = answer as Partial<SharedCharge>;
    return typeof costUsd === "number" && isThenable(counted)
      ? `a SharedCharge of ${described(costUsd)}`
      : "an object that is no SharedCharge";
  }
  return typeof answer;
}

/**
 * A cost in USD: finite and at least 0 (a negative one, a refund, would take spend off a total;
 * NaN fails both comparisons). The one test of a policy's answer, here and in `costOf`
 * (http/account-answer.ts), which passes such a number at once.
 */
export const isCost = (usd: number): boolean => usd >= 0 && usd < Number.POSITIVE_INFINITY;

/**
 * What a policy's `record` returned, checked at the boundary where it is not a cost in USD, finite
 * and at least 0 (the caller, `costOf`, passes those at once): a `SharedCharge` of such a cost and a promise to
 * wait for, or a failure the caller logs and charges 0 for. A JavaScript policy's NaN (a price it
 * did not find) was once the audit row's cost, which the database refused, losing the row; an
 * `async record`'s promise was read as a charge of no cost, its rejection left unhandled (which
 * ends a Bun process). A promise it returned is handled here, whatever it settles to.
 */
export function recordedCharge(answer: unknown): SharedCharge {
  if (typeof answer === "object" && answer !== null && !isThenable(answer)) {
    const { costUsd, counted } = answer as Partial<SharedCharge>;
    if (typeof costUsd === "number" && isCost(costUsd) && isThenable(counted)) return answer as SharedCharge;
    // Its promise, if it has one, is not waited for: it must not end the process either.
    if (isThenable(counted)) counted.then(undefined, ignore);
  }
  if (isThenable(answer)) answer.then(undefined, ignore);
  throw new Error(
    `the embedder's policy (record) returned no cost the gateway can read: ${described(answer)}`,
  );
}
