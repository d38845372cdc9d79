import type { SpendStore } from "../storage/storage.ts";
import type { Policy } from "./policy.ts";

/**
 * How a rotated key takes its predecessor's spend over: through the running policy's totals
 * when it keeps them (applied at once on this node, written to the store with its next flush),
 * else in the store itself (`mindgw keys rotate -c`: a running gateway reads it back within its
 * flush interval, a second).
 */
export function spendCarrier(
  store: SpendStore,
  policy?: () => Policy | undefined,
): (from: string, to: string) => Promise<void> {
  return async (from, to) => {
    const carry = policy?.()?.carrySpend;
    if (carry) {
      carry(from, to);
      return;
    }
    const spent = await store.total(from);
    if (spent > 0) await store.add(new Map([[to, spent]]));
  };
}
