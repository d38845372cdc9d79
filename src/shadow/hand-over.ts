import { NO_USAGE, type ShadowOutcome } from "./read-copy.ts";
import type { Pair } from "./shadow-pair.ts";
import { pairFacts } from "./shadow-record.ts";
import type { ShadowThread } from "./shadow-thread-client.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

/** What a copy handed to the thread whole answers on the event loop: nothing to record here. */
export const HANDED: ShadowOutcome = {
  status: 0,
  errorClass: null,
  latencyMs: 0,
  ttftMs: null,
  usage: NO_USAGE,
  answer: null,
};

/** Hands one pair's copy to the shadow thread, with what is left of its timeout. */
export type HandOver = (pair: Pair, timeoutMs: number) => Pick<ShadowThread, "exchange">;

/**
 * The way a copy is handed to the shadow thread whole: the capture (shadow-call.ts) goes to the
 * thread as an owned pair with what is left of its timeout; the current rules go first when the
 * config changed since the last copy.
 */
export function handOver(
  thread: ShadowThread,
  rules: () => ThreadRules,
  /** Told of each pair as it is handed, before the thread can say its copy is done. */
  handed: (id: number, pair: Pair) => void,
): HandOver {
  let sent: ThreadRules | undefined;
  return (pair, timeoutMs) => {
    const started = performance.now();
    return {
      exchange(copy, signal) {
        // A failed thread answers the copy as failed, recorded here as any other.
        if (!thread.usable()) return thread.exchange(copy, signal);
        const current = rules();
        if (current !== sent) {
          sent = current;
          thread.rules(current);
        }
        const left = Math.max(0, timeoutMs - (performance.now() - started));
        const facts = pairFacts(pair.request, pair.route);
        const id = thread.hand({ ...copy, pair: { facts, timeoutMs: left } });
        pair.handed = id;
        handed(id, pair);
        return Promise.resolve(HANDED);
      },
    };
  };
}
