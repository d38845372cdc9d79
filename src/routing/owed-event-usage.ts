import type { SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { owedUsageChunk } from "./owed-usage.ts";
import { closingAfter, endsStreamEvent } from "./stream-end.ts";
import type { OwedUsageObject } from "./usage-sink.ts";

/** A usage object, not OpenAI's `"usage": null` on every chunk before the last. */
const HAS_USAGE = /"usage"\s*:\s*\{/;

/**
 * The usage chunk owed (owed-usage.ts) on the decoded-event path: a provider that answers with
 * events, not bytes (an embedder's, the mock), in the caller's own dialect. What the byte relay's
 * scan does for an HTTP upstream (relay-scan.ts), over decoded events: made only when the caller
 * asked for usage itself (`UsageSink.usageAsked`), it watches every event the upstream sent for a
 * usage object and keeps the head the chunk repeats (the finish chunk's data, else the first's).
 */
export class OwedEventUsage {
  private owes = true;
  private head: string | undefined;

  constructor(
    private readonly object: OwedUsageObject,
    /** Records the estimate as the stream's usage and returns it (`UsageSink.recordEstimate`). */
    private readonly recordEstimate: (upstreamEvents: number) => Usage | undefined,
  ) {}

  /** Sees each event the upstream sent, one the caller is kept from too. */
  saw(event: SseEvent): void {
    if (!this.owes || endsStreamEvent(event)) return;
    // The upstream said usage, zeros too: none is owed (the record estimates zeros: stream-usage.ts).
    if (HAS_USAGE.test(event.data)) {
      this.owes = false;
      this.head = undefined;
    } else if (this.head === undefined || closingAfter(event) !== undefined) this.head = event.data;
  }

  /**
   * The chunk the caller is owed at its stream's whole end, `upstreamEvents` of the upstream's
   * events the answer's, its estimate recorded as the stream's usage; once a stream.
   */
  chunk(upstreamEvents: number): Uint8Array | undefined {
    if (!this.owes) return undefined;
    this.owes = false;
    const usage = this.recordEstimate(upstreamEvents);
    return usage && owedUsageChunk(this.head, usage, this.object);
  }
}
