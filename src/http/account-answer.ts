import { isCost, recordedCharge } from "../auth/embedder-record-cost.ts";
import type { Policy, SharedCharge } from "../auth/policy.ts";
import type { Principal } from "../auth/principal.ts";
import { describeError } from "../core/describe-error.ts";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { noUsage, type Usage } from "../core/usage.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { estimatedInputTokens } from "../translate/prompt-estimate.ts";
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
  /** A whole answer's headers, not sent yet: the policy may count this charge in them (`Policy.record`). */
  answer?: Record<string, string>,
): void {
  ledger.usage = answered;
  try {
    // Asked first, and charged in a function of its own: the callback closes over this call's
    // arguments, and a closure here would make this frame's scope for every request.
    const failed = ledger.owesBilled
      ? chargeBilledAttempts(ledger, limits, principal, model, logger, answer)
      : 0;
    ledger.costUsd =
      failed + costOf(limits.record(principal, model, answered, ledger, answer), ledger, logger);
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
  answer?: Record<string, string>,
): void {
  call.ledger.answeredModel = dispatched.answeredModel();
  chargeUsage(call.runtime.limits, call.principal, model, usage, call.ledger, logger, answer);
}

/**
 * A whole answer is in hand (a non-stream answer, or a stream whole in its first read): its first
 * byte and its end timed as one moment, then accounted. `answer`: a non-stream answer's headers,
 * not sent yet, which then count what it used (`Policy.record`). A stream's never do, even one
 * whole in its first read: its caller cannot tell how its upstream's bytes arrived, so its headers
 * say what every stream's say. Returns the charge's record on its way to the other nodes of a
 * cluster (`SharedCharge`), which the answer waits for; undefined on a single node, whose counters
 * count at once, and where the charge added nothing shared.
 */
export function accountWholeAnswer(
  call: ModelCall,
  dispatched: Dispatched,
  model: string,
  logger: Logger,
  usage: Usage,
  answer?: Record<string, string>,
): Promise<void> | undefined {
  call.ledger.wholeAnswer();
  account(call, dispatched, model, logger, usage, answer);
  return call.ledger.counted;
}

/**
 * A model call that ended without an answer, charged what it owes (`unansweredUsage`), as an
 * answer's usage is, so spend stays honest: failed attempts its upstreams billed (a Gemini turn that
 * ended in failure on every route), and the prompt an upstream was reading when the client left.
 * Its error answer is not sent yet: its headers count the charge as a whole answer's do (`Policy.record`),
 * so the `x-ratelimit-remaining-tokens` of a call every route failed says what the next admission will.
 */
export function chargeFailedAttempts(
  call: ModelCall,
  logger: Logger,
  error: unknown,
  /** The request's body, once read. */
  prompt: JsonObject | undefined,
): void {
  const { ledger } = call;
  const principal = ledger.principal;
  // Charged once: an answer accounted already carried them (`chargeUsage`).
  if (ledger.usage !== undefined || principal === undefined || ledger.model === null) return;
  const usage = unansweredUsage(ledger, error, prompt);
  if (usage) chargeUsage(call.runtime.limits, principal, ledger.model, usage, ledger, logger, call.headers);
}

/**
 * What a model call that ended without an answer owes beside the failed attempts its upstreams
 * billed (charged with it by `chargeUsage`); undefined when nothing at all. When its client left
 * while an attempt was out at its upstream, the vendor has read the prompt and bills it, answer or
 * not: the prompt is charged, estimated as a whole answer's or a stream's is when its count never
 * came (`estimatedInputTokens`: its text, its media, its token ids), and recorded as the request's
 * input tokens. Else a client could send a long prompt and hang up before a slow whole answer to
 * pay nothing.
 * `count_tokens` is never billed.
 */
export function unansweredUsage(
  ledger: RequestLedger,
  error: unknown,
  prompt: JsonObject | undefined,
): Usage | undefined {
  if (prompt !== undefined && ledger.frontDoor !== "count_tokens" && leftMidAttempt(ledger, error))
    return { inputTokens: estimatedInputTokens(prompt), outputTokens: 0 };
  return ledger.owesBilled ? noUsage() : undefined;
}

/**
 * Whether the request ended because its client left (499) while an upstream was reading its prompt:
 * its last attempt (however many came before) still without a verdict, or ended by the client's
 * leaving, and its request out at the upstream — written whole where its client can tell (the lean
 * client: a connection that never opened, an upstream that stopped reading, has no prompt to bill),
 * sent where it cannot (`AttemptLog.lastReadWhenLeft`). A client that left during a retry's
 * backoff, after an attempt the upstream refused, left nothing to bill.
 */
function leftMidAttempt(ledger: RequestLedger, error: unknown): boolean {
  return error instanceof GatewayError && error.code === "client_closed" && ledger.lastReadWhenLeft();
}

/**
 * Each billed failed attempt at its own route's price (`AttemptLog.chargeBilled`); what it cost.
 * `answer`: a whole answer's headers, not sent yet, whose tokens family counts each charge as the
 * answer's own (`Policy.record`): so an answer of no tokens, whose own charge leaves the headers
 * as they are, still says what its failed attempts took from the tpm, as the next admission will.
 */
function chargeBilledAttempts(
  ledger: RequestLedger,
  limits: Policy,
  principal: Principal,
  model: string,
  logger: Logger,
  answer: Record<string, string> | undefined,
): number {
  return ledger.chargeBilled((usage, served) =>
    costOf(limits.record(principal, model, usage, served, answer), ledger, logger),
  );
}

/**
 * A charge's cost; where it is on its way to other processes, kept on the request's ledger with
 * the request's other charges (its failed attempts'), which its answer waits for: its own calls,
 * never another request's. One whose count failed (an embedder's promise that rejects, where the
 * contract asks it to settle) is logged, the guard attached here as the charge is made (a promise
 * more only where a charge is shared, beside its round trip), and the answer, in hand and charged,
 * is the caller's all the same: it once became a 500, or a stream's end an error event, charged as
 * answered.
 */
function costOf(answer: number | SharedCharge, ledger: RequestLedger, logger: Logger): number {
  if (typeof answer === "number" && isCost(answer)) return answer;
  // Anything else an embedder's policy returned is read with care: a failure `chargeUsage` logs.
  const charge = recordedCharge(answer);
  const shared = charge.counted;
  // The same round as the charge before (the answer's and a failed attempt's): waited for once.
  if (shared === ledger.lastShared) return charge.costUsd;
  ledger.lastShared = shared;
  const said = shared.then(undefined, (error: unknown) => {
    logger.error("counting a request's charge failed; its answer stands", {
      request_id: ledger.requestId,
      error: describeError(error),
    });
  });
  const before = ledger.counted;
  ledger.counted = before === undefined ? said : Promise.all([before, said]).then(nothing);
  return charge.costUsd;
}
const nothing = () => {};
