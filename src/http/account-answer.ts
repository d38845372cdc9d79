import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import type { ModelCall } from "./model-call.ts";

/** What the answer used, charged to the caller's limits and recorded on the ledger. */
export function account(
  call: ModelCall,
  dispatched: Dispatched,
  model: string,
  usage: Usage = dispatched.usage(),
): void {
  const ledger = call.ledger;
  ledger.usage = usage;
  ledger.costUsd = call.runtime.limits.record(call.principal, model, ledger.usage, ledger);
}

/**
 * A whole answer is in hand (a non-stream answer, or a stream whole in its first read): its first
 * byte and its end timed as one moment, then accounted.
 */
export function accountWholeAnswer(call: ModelCall, dispatched: Dispatched, model: string): void {
  call.ledger.wholeAnswer();
  account(call, dispatched, model);
}
