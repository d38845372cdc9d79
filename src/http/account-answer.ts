import type { Policy } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { describeError } from "../core/describe-error.ts";
import { noUsage, type Usage } from "../core/usage.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import type { ModelCall } from "./model-call.ts";
import type { RequestLedger } from "./request-ledger.ts";

/**
 * What the answer used, charged to the caller's limits and recorded on the ledger, and what its
 * failed attempts were billed (`AttemptLog.chargeBilled`), each at the price of the route and
 * upstream model that billed it: spend and tokens per minute count all of it, the record's cost
 * too, its tokens only the answer's (each billed attempt's are on its audit entry). The answer is
 * in hand (a stream's client may have it whole) when this runs: a policy whose `record` fails (an
 * embedder's, a counter store gone) must not take it back or leave the request open, so the
 * failure is logged, the cost is 0, and the request ends as answered.
 */
export function chargeUsage(
  limits: Policy,
  principal: Principal,
  model: string,
  answered: Usage,
  ledger: RequestLedger,
  logger: Logger,
): void {
  ledger.usage = answered;
  try {
    // Asked first, and charged in a function of its own: the callback closes over this call's
    // arguments, and a closure here would make this frame's scope for every request.
    const failed = ledger.owesBilled ? chargeBilledAttempts(ledger, limits, principal, model) : 0;
    ledger.costUsd = failed + limits.record(principal, model, answered, ledger);
  } catch (error) {
    ledger.costUsd = 0;
    logger.error("recording a request's usage failed", {
      request_id: ledger.requestId,
      error: describeError(error),
    });
  }
}

/** A model call's answer accounted (`chargeUsage`) with its own runtime's policy. */
export function account(
  call: ModelCall,
  dispatched: Dispatched,
  model: string,
  logger: Logger,
  usage: Usage = dispatched.usage(),
): void {
  chargeUsage(call.runtime.limits, call.principal, model, usage, call.ledger, logger);
}

/**
 * A whole answer is in hand (a non-stream answer, or a stream whole in its first read): its first
 * byte and its end timed as one moment, then accounted.
 */
export function accountWholeAnswer(
  call: ModelCall,
  dispatched: Dispatched,
  model: string,
  logger: Logger,
  usage?: Usage,
): void {
  call.ledger.wholeAnswer();
  account(call, dispatched, model, logger, usage);
}

/**
 * A model call that failed after upstreams billed some of its attempts (a Gemini turn that ended
 * in failure on every route): that usage charged, as an answer's is, so spend stays honest.
 */
export function chargeFailedAttempts(call: ModelCall, logger: Logger): void {
  const { ledger } = call;
  const principal = ledger.principal;
  // Charged once: an answer accounted already carried them (`chargeUsage`).
  if (ledger.usage !== undefined || !ledger.owesBilled || principal === undefined || ledger.model === null)
    return;
  chargeUsage(call.runtime.limits, principal, ledger.model, noUsage(), ledger, logger);
}

/** Each billed failed attempt at its own route's price (`AttemptLog.chargeBilled`); what it cost. */
function chargeBilledAttempts(
  ledger: RequestLedger,
  limits: Policy,
  principal: Principal,
  model: string,
): number {
  return ledger.chargeBilled((usage, served) => limits.record(principal, model, usage, served));
}
