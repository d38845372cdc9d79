import type { CopyTarget, ShadowOutcome } from "./read-copy.ts";

/** One copy for the shadow thread to send: the request its provider would have sent, as captured. */
export interface ThreadCopy {
  readonly id: number;
  /** The provider's name, as a failure to reach it is reported. */
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array<ArrayBuffer>;
  readonly target: CopyTarget;
}

/**
 * What the gateway posts to the shadow thread, once per event-loop turn: the copies sampled in
 * that turn and the ones cut off (their own timeout, a stop) since the last post.
 */
export interface ShadowThreadRequest {
  readonly copies: readonly ThreadCopy[];
  readonly aborts: readonly number[];
}

/** What the thread posts back, once per turn of its own: every copy that finished. */
export interface ShadowThreadReply {
  readonly outcomes: readonly { readonly id: number; readonly outcome: ShadowOutcome }[];
}
