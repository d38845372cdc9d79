import { joinTwo } from "../core/join-bytes.ts";
import type { SseSpan } from "../core/sse-scanner.ts";
import { owedUsageChunk } from "./owed-usage.ts";
import { RelayRead } from "./relay-read.ts";
import { CLOSING } from "./stream-end.ts";
import type { OwedUsageObject, UsageSink } from "./usage-sink.ts";

/** OpenAI's end marker, given a stream whose upstream sent the answer's finish but not it. */
export const DONE = new TextEncoder().encode(CLOSING.openai);

/**
 * The usage chunk the relay scan (relay-scan.ts) owes a caller that asked for one when the
 * upstream sent none (owed-usage.ts): what it repeats the id and model of, kept while one is owed,
 * and the chunk itself, written before the end marker. A base class of the scan, so the hot path
 * reads this state off `this` as before.
 */
export class RelayOwedUsage extends RelayRead {
  /**
   * The caller asked for a usage chunk (`UsageSink.usageAsked`, its `object`) and no usage object
   * went by yet: the relay owes it one (owed-usage.ts) should the stream end so.
   */
  protected owes: OwedUsageObject | undefined;
  /**
   * What the owed chunk repeats the id and model of, while one is owed: the data of the finish
   * chunk (of the first chunk before one), its bytes alone, decoded only if the chunk is written.
   * Copied out of a read only at the read's end, and only if one is still owed then: the usage
   * chunk nearly always comes in the read its finish chunk came in, and then nothing is copied.
   */
  protected owedHead: Uint8Array | undefined;
  /** Where the head found in the read being taken lies in it (-1: none found in it). */
  protected headStart = -1;
  private headEnd = 0;

  constructor(protected readonly sink: UsageSink) {
    super(sink.maxLine);
    this.owes = sink.usageAsked;
  }

  /**
   * The end marker the relay adds to a stream that finished without it (`closing`), after the
   * usage chunk its caller is owed, if any, its estimate recorded as the stream's usage
   * (`recordOwedUsage`).
   */
  closeRecordingOwedUsage(marker: Uint8Array): Uint8Array {
    const owed = marker === DONE ? this.recordOwedUsage(this.allEvents) : undefined;
    return owed ? joinTwo(owed, marker) : marker;
  }

  /** The upstream said usage, zeros too: the caller is owed none. */
  protected usageSaid(): void {
    this.owes = undefined;
    this.owedHead = undefined;
    this.headStart = -1;
  }

  /**
   * `[DONE]` (at `span`) goes out after the usage chunk its caller is owed, if any (owed-usage.ts):
   * the upstream's events are those before it, this one not counted.
   */
  protected owedBefore(span: SseSpan): void {
    const owed = this.recordOwedUsage(this.allEvents + this.events - 1);
    if (owed) this.replace(span, joinTwo(owed, this.buf.subarray(span.start, span.end)));
  }

  /**
   * The usage chunk the caller is owed, `upstreamEvents` data events read (no usage object among
   * them, so no usage-only chunk), its estimate recorded as the stream's usage; once a stream.
   */
  private recordOwedUsage(upstreamEvents: number): Uint8Array | undefined {
    const object = this.owes;
    if (object === undefined) return undefined;
    this.owes = undefined;
    const usage = this.sink.recordEstimate?.(upstreamEvents);
    // `[DONE]` in the read its head came in: read in place, never copied.
    const head = this.headStart !== -1 ? this.buf.subarray(this.headStart, this.headEnd) : this.owedHead;
    this.owedHead = undefined;
    this.headStart = -1;
    return usage && owedUsageChunk(head, usage, object);
  }

  /** The owed chunk's head is the data at `start`–`end` of the read being taken (`owedHead`). */
  protected headAt(start: number, end: number): void {
    this.headStart = start;
    this.headEnd = end;
  }

  /** The read ends with a chunk still owed: its head, found in it, copied out of it (`owedHead`). */
  protected keepOwedHead(): void {
    if (this.owes) this.owedHead = this.buf.slice(this.headStart, this.headEnd);
    this.headStart = -1;
  }
}
