import type { GatewayError } from "../core/gateway-error.ts";
import { SseScanner, type SseSpan } from "../core/sse-scanner.ts";
import { withoutCuts } from "./without-cuts.ts";

/** The scanned buffer before the first read (never written to): no buffer made per relay for it. */
const NOTHING = new Uint8Array(0);

/**
 * The read the relay scan (relay-scan.ts) is taking, and what of it goes to the client: its
 * events in order, minus the ones cut out, a replaced event's bytes in its place (without-cuts.ts).
 * A base class, not an object the scan holds, so the hot path reads this state off `this` as
 * before; the scan's `take` resets and reads it in place, with no call of its own a read.
 */
export class RelayRead extends SseScanner {
  /** Complete data events in the read last taken. */
  events = 0;
  /** Complete data events in every read taken so far. */
  allEvents = 0;
  /** Where the first malformed event (or a line past the bound) starts in the read last taken (-1: none). */
  brokenAt = -1;
  /** The stream broke on a line past the bound (at `brokenAt`), not on a malformed event. */
  overlongLine: GatewayError | undefined;
  /** The buffer being scanned: the read, after what the one before held back. */
  protected buf: Uint8Array = NOTHING;
  /** Made at the first event cut out (most streams cut none). */
  protected cuts: number[] | undefined;
  /**
   * What goes out in place of a cut event, by where it starts (an error event scrubbed of the
   * account): made at the first such event (nearly every stream has none).
   */
  protected swaps: Map<number, Uint8Array> | undefined;

  /** The events of the read last taken that precede the malformed one (none when it came first). */
  beforeBroken(): Uint8Array | undefined {
    if (this.brokenAt <= 0) return undefined;
    return this.cuts && this.cuts.length > 0
      ? withoutCuts(this.buf, this.brokenAt, this.cuts, this.swaps)
      : this.buf.subarray(0, this.brokenAt);
  }

  /**
   * A line past the bound follows the events that end at `consumed`: they may still go out, as
   * those before a malformed event do, and the stream then fails with the bound's error. The
   * same stream fails alike however the upstream's writes were split into reads.
   */
  protected override overlong(consumed: number): number {
    if (this.brokenAt === -1) {
      this.brokenAt = consumed;
      this.overlongLine = this.lineTooLong();
    }
    return consumed;
  }

  /** An event left out of what goes to the client (or replaced: `swaps`). */
  protected cut(span: SseSpan): void {
    this.cuts ??= [];
    this.cuts.push(span.start, span.end);
  }

  /** An event that goes to the client as `bytes`: cut once, however often it is edited. */
  protected replace(span: SseSpan, bytes: Uint8Array): void {
    if (this.swaps?.has(span.start) !== true) this.cut(span);
    this.swaps ??= new Map();
    this.swaps.set(span.start, bytes);
  }
}
