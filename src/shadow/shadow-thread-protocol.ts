import type { Config } from "../config/config-schema.ts";
import type { CopyEnd, CopyTarget, ShadowOutcome } from "./read-copy.ts";
import type { PairFacts, PrimaryFacts, PrimarySource } from "./shadow-record.ts";

/** One copy for the shadow thread to send: the request its provider would have sent, as captured. */
export interface ThreadCopy {
  readonly id: number;
  /** The provider's name, as a failure to reach it is reported. */
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array<ArrayBuffer>;
  readonly target: CopyTarget;
  /**
   * Set when the thread owns the whole pair (shadow-runner.ts, `recordsOffLoop`): it times the copy
   * out itself after `timeoutMs`, keeps the outcome, and records the pair when the primary's
   * side (`ThreadPrimary`) is in. Absent: the outcome goes back to the event loop.
   */
  readonly pair?: { readonly facts: PairFacts; readonly timeoutMs: number };
}

/** The primary's side of an owned pair, sent when the primary's audit record is in. */
export interface ThreadPrimary {
  readonly id: number;
  readonly facts: PrimaryFacts;
  /** Absent when the primary failed or kept nothing to read. */
  readonly answer?: PrimarySource;
}

/** How owned pairs are recorded under the current config; sent when the config changes. */
export interface ThreadRules {
  readonly maxAnswer: number;
  readonly keepAnswers: boolean;
  /** `audit.flush_ms`: how long a finished pair may wait to be written with others. */
  readonly flushMs: number;
  /** What prices the shadow's answers (pricing/price-book.ts reads only these). */
  readonly prices: Pick<Config, "prices" | "providers" | "models">;
}

/** Bytes on the wire: their index in the message's `bytes`. */
export interface WireBytes {
  readonly bytes: number;
}
export type WireCopy = Omit<ThreadCopy, "body"> & { readonly body: string | WireBytes };
export type WirePrimary = Omit<ThreadPrimary, "answer"> & {
  readonly answer?:
    | Exclude<PrimarySource, { kind: "bytes" | "sse" }>
    | { readonly kind: "bytes" | "sse"; readonly body: WireBytes };
};

/**
 * One message to the shadow thread: a `ShadowThreadRequest` as JSON text, its bodies and
 * answers as bytes beside it. A structured clone of the same copies and primaries costs the
 * event loop about twice what `JSON.stringify` does (many small objects; docs/BENCHMARKS-HISTORY.md).
 */
export type ShadowThreadMessage =
  | { readonly json: string; readonly bytes: readonly Uint8Array[] }
  /** Where the same lies in the ring (message-ring.ts): the way every message that fits goes. */
  | string
  /** The ring, posted once before anything else. */
  | { readonly ring: SharedArrayBuffer };

/**
 * What the gateway posts to the shadow thread (as `ShadowThreadMessage.json`), once per event-loop turn: the copies sampled in
 * that turn and the ones cut off (their own timeout, a stop) since the last post; for owned
 * pairs, the primaries that finished, new rules, the stop (every owned copy cut off as 503)
 * and a flush (every finished pair written now; answered with `flushed`).
 */
export interface ShadowThreadRequest {
  readonly copies: readonly WireCopy[];
  readonly aborts: readonly number[];
  readonly primaries?: readonly WirePrimary[];
  readonly rules?: ThreadRules;
  readonly stop?: boolean;
  readonly flush?: boolean;
}

/**
 * A copy the thread finished: its outcome when not owned; an owned one only says it is done (for
 * the cap) and how it ended (for its span and its count), its outcome staying with its pair.
 */
export type CopyDone =
  | { readonly id: number; readonly outcome: ShadowOutcome }
  | { readonly id: number; readonly outcome: null; readonly ended: CopyEnd };

/**
 * What the thread posts back, once per turn of its own: every copy that finished, records to
 * store as the JSON text of an array, what the pairs recorded since the last post cost (each
 * one's model and its shadow side's price: the records leave as text, never read on the event
 * loop), whether a requested flush is complete, and why the catalogue's prices are off.
 */
export interface ShadowThreadReply {
  readonly outcomes: readonly CopyDone[];
  readonly records?: readonly string[];
  readonly spent?: readonly (readonly [model: string, usd: number])[];
  readonly flushed?: boolean;
  /**
   * Why the thread prices nothing by the catalogue under its rules: the catalogue did not load
   * there (its copies on providers it prices are priced 0, as an unknown price is). Said once a load.
   */
  readonly unpriced?: string;
}
