import type { WholeAnswer } from "../whole-answer.ts";

/**
 * What the event loop and the lean client's thread (lean-thread.ts) send each other: the calls
 * and cut-offs of one loop turn in one message, the answers of one thread turn in one.
 */

/** One non-stream call: a plain-http POST whose answer comes back whole. */
export interface ThreadCall {
  readonly id: number;
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array<ArrayBuffer>;
  /** The most a 2xx body may be (`routing.max_upstream_body`): past it only `over` comes back. */
  readonly maxBody: number;
}

/** The loop's message: new calls, and the calls it gave up on (client gone, deadline). */
export interface ThreadRequest {
  readonly calls: readonly ThreadCall[];
  readonly aborts: readonly number[];
}

/**
 * One call's end: its answer whole, as the loop's caller takes it (a 2xx body up to the call's
 * bound, else none and `over`, a 502 on the loop; an error body cut as `readErrorText` cuts it),
 * or why it has none.
 */
export type ThreadAnswer =
  | (WholeAnswer & { readonly id: number })
  | {
      readonly id: number;
      readonly error: string;
      /** The error's `code` (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`): why it could not connect. */
      readonly code?: string;
    };
