import type { GatewayError } from "../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE, type SseEvent } from "../core/sse.ts";
import { noAnswer } from "../providers/http/read-reply.ts";
import { namedFailure } from "../providers/upstream-name.ts";
import { failureReported } from "../routing/event-chunks.ts";
import { mayHoldAnswer } from "../routing/no-choice.ts";
import { RelayScan } from "../routing/relay-scan.ts";
import {
  closingAfter,
  cutOff,
  DONE_DATA,
  endsStreamEvent,
  malformedEvent,
  upstreamErrorIn,
} from "../routing/stream-end.ts";

// Whether a same-dialect copy's stream was whole, judged as the primary's relay judges its own
// (docs/CLIENTS.md "When a stream is whole"): after its end marker, or after the answer's finish
// with only the marker missing; an error event of its own is its failure, read in its dialect as
// the primary's record reads it (http/stream-failure-status.ts: OpenAI's `server_error` a 500,
// Anthropic's `overloaded_error` a 529, not a flat 502), and a stream that stops before its finish
// was cut off. The same upstream fails alike on both sides of a pair.

/** Usage is read by the copy's own reader: the scan hands every event back untouched. */
const KEEP_EVERY_EVENT = { maxLine: DEFAULT_MAX_SSE_LINE, onUsage: () => true };

/** A copy's stream as bytes: the byte relay's own scan (routing/relay-scan.ts) reads them. */
export class ScannedStreamEnd {
  private readonly scan = new RelayScan(KEEP_EVERY_EVENT);

  constructor(private readonly label: string) {}

  /** One read. A malformed event or a line past the bound fails the copy at once, as it stops the relay. */
  take(chunk: Uint8Array): void {
    this.scan.take(chunk);
    this.throwIfBroken();
  }

  /** The body ended: the failure the primary would record, none when the stream was whole. */
  failure(): GatewayError | undefined {
    const scan = this.scan;
    scan.last();
    this.throwIfBroken();
    if (scan.reported)
      return scan.reportedEvent ? upstreamErrorIn(scan.reportedEvent, scan.reported) : scan.reported;
    // Its end marker after chunks without a choice alone (or none): no answer in it, as the primary's relay reads it.
    if (scan.ended && !scan.answering) return noAnswer(this.label);
    return scan.ended || scan.closing ? undefined : cutOff(this.label);
  }

  private throwIfBroken(): void {
    if (this.scan.brokenAt === -1) return;
    const overlong = this.scan.overlongLine;
    // The scan reads bytes, not whose: the line's failure names the copy's upstream, as the others do.
    throw overlong ? namedFailure(overlong, this.label) : malformedEvent(this.label);
  }
}

/** A copy's stream as decoded events (a provider that yields them), read as event-chunks.ts reads the primary's. */
export class EventStreamEnd {
  private ended = false;
  private finished = false;
  /** An event that may hold the answer went by: not only chunks without a choice (Azure's prompt filter results). */
  private answered = false;
  /** `[DONE]` came before any such event: a stream with no answer in it. */
  private unanswered = false;
  /** The first event that reports a failure: read in its dialect only if the copy fails by it. */
  private failedBy: SseEvent | undefined;

  constructor(private readonly label: string) {}

  event(event: SseEvent): void {
    if (endsStreamEvent(event)) {
      this.ended = true;
      this.unanswered ||= !this.answered && event.data === DONE_DATA;
    } else {
      if (!this.finished) this.finished = closingAfter(event) !== undefined;
      if (!this.answered) this.answered = mayHoldAnswer(event);
    }
    if (!this.failedBy && failureReported(event)) this.failedBy = event;
  }

  failure(): GatewayError | undefined {
    const by = this.failedBy;
    const reported = by && failureReported(by);
    if (by && reported) return upstreamErrorIn(by, reported);
    if (this.unanswered) return noAnswer(this.label);
    return this.ended || this.finished ? undefined : cutOff(this.label);
  }
}
