import { RESPONSE_FAILED } from "../core/final-response-events.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { joinTwo } from "../core/join-bytes.ts";
import { SseDecoder, type SseEvent } from "../core/sse.ts";
import type { SpanSink, SseSpan } from "../core/sse-scanner.ts";
import { usageAlone } from "./answer-event.ts";
import { answerBegan, type OpeningHold, opensAnswer, settleOpening } from "./answer-opening.ts";
import { PREVIOUS_KEY, saidPreviousId, withPreviousIdInEvent } from "./previous-response-id.ts";
import {
  CLOSE_BRACE,
  endsStream,
  eventOf,
  failsAtFinish,
  holdsErrorKey,
  malformed,
  namesRole,
  oneLine,
  opensByName,
  reportsError,
  saysNoChoice,
  stopsMessage,
  textOf,
} from "./relay-event-checks.ts";
import { foundBefore, indexOf, keyFrom, keyWithValueAt, valueAt } from "./relay-key-search.ts";
import { DONE, RelayOwedUsage } from "./relay-owed-usage.ts";
import { errorFieldChunk, scrubbedErrorEvent } from "./scrubbed-error-event.ts";
import { CLOSING, reportedFailure } from "./stream-end.ts";
import type { UsageSink } from "./usage-sink.ts";
import { withoutCuts } from "./without-cuts.ts";

const encoder = new TextEncoder();
/** The usage key without its opening quote (relay-key-search.ts `keyWithValueAt`). */
const USAGE_KEY = encoder.encode('usage"');
/** OpenAI's finish key, found as the usage key is (one search a read until a finish went by). */
const FINISH_KEY = encoder.encode('finish_reason"');
/** Anthropic's end marker, given a stream whose upstream sent the answer's finish but not it. */
const MESSAGE_STOP = encoder.encode(CLOSING.anthropic);
const QUOTE = 34;
const OPEN_BRACE = 123;
/** `e`, which `"error"` starts with. */
const ERROR_FIRST = 101;
const BLANK_LINE = encoder.encode("\n\n");

/**
 * What of each upstream read may go to the client (routing/byte-relay.ts): its complete events,
 * minus the ones cut out, an error event rewritten when it names the gateway's upstream account
 * (scrubbed-error-event.ts), and before the end marker the usage chunk a caller that asked for one
 * is owed when the upstream sent none (owed-usage.ts); an event that has not finished arriving is
 * held for the next read. The scanner finds event boundaries (for the idle bound and the line
 * bound); only events that carry a usage object, error events and a named end event are decoded,
 * and the end marker, error events and malformed events are spotted by their bytes. It is the
 * scanner itself (one object a stream, not two); what of a read goes out is kept by its base
 * classes (relay-read.ts, the usage chunk owed in relay-owed-usage.ts), not in objects of its own.
 */
export class RelayScan extends RelayOwedUsage implements SpanSink, OpeningHold {
  /** The stream reported a failure of its own (an error event, relayed as is). */
  reported: GatewayError | undefined;
  /**
   * The error event itself, decoded, when no event of the answer came before it, only its opening
   * if any (`reported`'s): what the upstream said, should it fail before the answer began.
   */
  reportedFirst: SseEvent | undefined;
  /**
   * The upstream's own error event, decoded as relayed (scrubbed), when that is how it reported
   * its failure and no `response.failed` went by: a Responses stream still owes its client that
   * terminal event (byte-relay.ts `failureUnended`).
   */
  reportedUnended: SseEvent | undefined;
  /** The event `reported` stands for, decoded as relayed (`ChunkSource.reportedEvent`). */
  reportedEvent: SseEvent | undefined;
  /**
   * An event of the answer itself went by, not only its opening (`message_start`, a role chunk:
   * answer-opening.ts): the relay may commit to the stream. Never unset. Final between reads: a
   * role chunk held in one is settled by its end (`OpeningHold`).
   */
  answering = false;
  /** A role chunk of the read being taken awaits its verdict (`OpeningHold`): its data at `heldAt`. */
  holdsOpening = false;
  /** The stream's end marker went by. */
  ended = false;
  /**
   * Set once the answer's finish went by — an OpenAI chunk with a `finish_reason` (a string, not
   * null), Anthropic's `message_delta` — to the end marker of its dialect: a body that ends
   * without the marker after it is complete all the same, the marker added (byte-relay.ts `atEnd`).
   */
  closing: Uint8Array | undefined;
  /** Of the data events read (`allEvents`), chunks of usage alone (`choices: []`): not the answer's. */
  usageOnly = 0;
  /** Of the events before the answer's first, chunks without a choice (`saysNoChoice`), held. */
  private choiceless = 0;
  /** An event that has not finished arriving, held for the next read. */
  private pending: Uint8Array | undefined;
  /** Per read: the next `"usage"` in it, the next `"finish_reason"`. */
  private usageAt = -1;
  private finishAt = -1;
  /** Where the held role chunk's data lies in the read being taken (`holdsOpening`). */
  private heldAt = 0;
  private heldEnd = 0;
  /** The id `previous_response_id` is said as (`UsageSink.previousId`), as JSON; nearly always none. */
  private readonly previousId: Uint8Array | undefined;
  /** The next `"previous_response_id"` in the read being taken, found once a read (with `previousId`). */
  private previousAt = -1;

  constructor(sink: UsageSink) {
    super(sink);
    const previousId = sink.previousId;
    if (previousId !== undefined) this.previousId = saidPreviousId(previousId);
  }

  /** Whether part of an event is held back. */
  get holding(): boolean {
    return this.pending !== undefined;
  }

  /** Scans one read; returns what may be written now (complete events, minus cut ones). */
  take(chunk: Uint8Array): Uint8Array | undefined {
    const buf = this.pending ? joinTwo(this.pending, chunk) : chunk;
    this.buf = buf;
    this.events = 0;
    this.usageAt = indexOf.call(buf, USAGE_KEY, 0);
    // Searched for after the first finish too: of n choices, another's may finish in an error.
    this.finishAt = indexOf.call(buf, FINISH_KEY, 0);
    if (this.previousId) this.previousAt = indexOf.call(buf, PREVIOUS_KEY, 0);
    if (this.cuts) this.cuts.length = 0;
    this.swaps?.clear();
    const consumed = this.scan(buf, this);
    this.allEvents += this.events;
    if (this.headStart !== -1) this.keepOwedHead();
    // The read ends inside the answer's opening, or at a chunk that may be the answer's first:
    // its bytes are not kept past the read.
    settleOpening(this);
    this.pending = consumed < buf.length ? buf.subarray(consumed) : undefined;
    if (consumed === 0) return undefined;
    if (!this.cuts || this.cuts.length === 0)
      return consumed === buf.length ? buf : buf.subarray(0, consumed);
    return withoutCuts(buf, consumed, this.cuts, this.swaps);
  }

  /** The body ended: an event held back without its blank line is complete after all. */
  last(): Uint8Array | undefined {
    return this.pending ? this.take(BLANK_LINE) : undefined;
  }

  /** Each complete event of the read being taken (the scanner's sink: no closure per relay). */
  onSpan(span: SseSpan): void {
    const dataStart = span.dataStart;
    if (dataStart === -1) return; // a comment: relayed, but not an event
    if (this.brokenAt !== -1) return;
    this.events++;
    const buf = this.buf;
    let finalEvent = false;
    // The everyday event — unnamed, its data one line of a JSON object whose first key does not
    // start with `e` — is not the end marker, not malformed and no error event, as the three
    // checks below would find: its first three bytes and its last tell.
    const everyday =
      span.nameStart === -1 &&
      buf[dataStart] === OPEN_BRACE &&
      buf[dataStart + 1] === QUOTE &&
      buf[dataStart + 2] !== ERROR_FIRST &&
      buf[span.dataEnd - 1] === CLOSE_BRACE;
    // Before the answer's first event, an everyday event may still be an error chunk whose
    // `error` is not its first key (OpenRouter's): a failure, not the answer's first event.
    const errorChunk = everyday && !this.answering && holdsErrorKey(buf, span);
    if (this.holdsOpening) {
      // After a role chunk, an everyday event that names no role is the answer's: it began,
      // whatever the chunk was. Any other event may hang on the chunk's verdict (an error right
      // after the opening fails the attempt): it is decoded first.
      if (everyday && !errorChunk && !namesRole(buf, span)) answerBegan(this);
      else settleOpening(this);
    }
    // Until the answer's first event, each is read for whether it only opens the answer.
    const opening = !this.answering;
    let reports = errorChunk;
    if (errorChunk) this.reportEvent(span, opening);
    if (!everyday) {
      if (span.errorField) {
        // llama.cpp's `error:` field: the client gets it as the OpenAI error chunk it stands for,
        // whatever its value (words that are no JSON object, too: the decoder reads them so).
        this.reportErrorField(span, opening);
        return;
      }
      if (endsStream(buf, span)) {
        this.ended = true;
        // Once a stream: its named end event (`response.failed`, `message_stop`) is decoded too.
        finalEvent = span.nameStart !== -1;
        if (this.owes && !finalEvent && !this.reported) this.owedBefore(span);
      } else if (malformed(buf, span, this.sink.maxLine)) {
        this.brokenAt = span.start;
        return;
      } else if (stopsMessage(buf, span)) this.closing = MESSAGE_STOP;
      reports = reportsError(buf, span);
      if (reports) this.reportEvent(span, opening);
    }
    if (opening) this.watchOpening(span);
    if (this.owes && everyday && this.owedHead === undefined && this.headStart === -1)
      this.headAt(dataStart, span.dataEnd);
    if (this.finishAt !== -1 && this.finishAt < span.end) {
      const finish = this.finishIn(span);
      if (finish !== -1) {
        // Set at the first choice's finish: of n choices, the others' may follow (as ever).
        if (!this.closing) {
          this.closing = DONE;
          if (this.owes) this.headAt(dataStart, span.dataEnd);
        }
        // OpenRouter's error once the answer has begun (before it, `errorChunk` found it), at any
        // choice's finish: the stream failed, its chunk relayed as it came.
        if (!this.reported && failsAtFinish(buf, span, finish)) {
          reports = true;
          this.reportEvent(span, opening);
        }
      }
    }
    const usage = this.carriesUsage(span);
    if (usage || finalEvent) {
      const event = eventOf(buf, span, this.sink.maxLine);
      if (usage) {
        // The upstream said usage, zeros too: the caller is owed none (the estimate is billed all
        // the same, http/stream-usage.ts), and a chunk of it alone is no token of the answer.
        this.usageSaid();
        if (event && usageAlone(event.data)) this.usageOnly++;
      }
      // A Responses stream's `response.failed` is how OpenAI reports a server error: its words
      // are scrubbed as an error event's are, before the answer it fails the attempt as one, and
      // after it the stream ends failed, as it does with one.
      if (event?.event === RESPONSE_FAILED) {
        reports = true;
        this.reportedUnended = undefined;
        if (!this.reported) {
          this.reported = reportedFailure(RESPONSE_FAILED);
          this.reportedEvent = event;
          if (opening) this.reportedFirst = event;
        }
      }
      if (event && !this.sink.onUsage(event)) {
        this.cut(span);
        return;
      }
    }
    if (reports) this.scrubError(span);
    if (this.previousAt !== -1 && this.previousId) this.sayPrevious(span, this.previousId);
  }

  /**
   * A response's `previous_response_id` the upstream said null, said as the caller's id
   * (`previousId`): the event goes out edited (`swaps`), after its scrub if it had one.
   */
  private sayPrevious(span: SseSpan, id: Uint8Array): void {
    this.previousAt = keyFrom(this.buf, PREVIOUS_KEY, this.previousAt, span.start);
    if (!foundBefore(this.previousAt, span.end)) return;
    const edited = withPreviousIdInEvent(this.buf, span, id, this.swaps?.get(span.start));
    if (edited !== undefined) this.replace(span, edited);
  }

  /**
   * llama.cpp's `error:` field (core/sse-scanner.ts `errorField`): the stream's failure, as an
   * OpenAI error chunk reports it, and what the client gets in its place.
   */
  private reportErrorField(span: SseSpan, opening: boolean): void {
    const chunk = errorFieldChunk(this.buf, span);
    this.replace(span, chunk);
    if (this.reported) return;
    this.reported = reportedFailure("error");
    this.reportedUnended = new SseDecoder(this.sink.maxLine).push(chunk)[0];
    this.reportedEvent = this.reportedUnended;
    if (opening) this.reportedFirst = this.reportedUnended;
  }

  /** The stream's failure, reported by this error event (the first such the stream's). */
  private reportEvent(span: SseSpan, opening: boolean): void {
    if (this.reported) return;
    this.reported = reportedFailure("error");
    this.reportedUnended = eventOf(this.buf, span, this.sink.maxLine);
    this.reportedEvent = this.reportedUnended;
    if (opening) this.reportedFirst = this.reportedUnended;
  }

  /** An error event that names the gateway's upstream account goes out without it. */
  private scrubError(span: SseSpan): void {
    const scrubbed = scrubbedErrorEvent(this.buf, span, this.sink);
    if (scrubbed === undefined) return;
    // The error event as the client reads it: what a `response.failed` added after it says too.
    if (this.reportedUnended !== undefined)
      this.reportedUnended = new SseDecoder(this.sink.maxLine).push(scrubbed)[0];
    this.replace(span, scrubbed);
  }

  /**
   * An event before the answer's first: whether it only opens the answer (answer-opening.ts), a
   * named event told by its name's bytes, a chat chunk without a role (the answer's own) by its
   * bytes too (but one without a choice, held with the opening). A chunk with a role is held
   * (`holdsOpening`), decoded only if the read ends there or a next event hangs on it: of a
   * stream's chunks its first when it came alone (or, from a server that names the role in every
   * chunk, the first with content).
   */
  private watchOpening(span: SseSpan): void {
    const buf = this.buf;
    if (span.nameStart !== -1) this.answering = !opensByName(buf, span);
    else if (!namesRole(buf, span)) {
      // `[DONE]` ends an answer that a chunk with a choice opened (a role chunk: with no content
      // and no finish, an empty answer, RELIABILITY.md); after chunks without one alone (or
      // none), the stream had no answer in it. A chunk without a choice
      // is held as the answer's opening (Azure's prompt filter results come first).
      if (this.ended) this.answering = this.allEvents + this.events - 1 > this.choiceless;
      else if (saysNoChoice(buf, span)) this.choiceless++;
      else this.answering = true;
    } else if (!oneLine(buf, span)) {
      // Data on several lines (neither dialect sends it): decoded now, as the client would read it.
      const event = eventOf(buf, span, this.sink.maxLine);
      this.answering = event === undefined || !opensAnswer(event);
    } else {
      this.holdsOpening = true;
      this.heldAt = span.dataStart;
      this.heldEnd = span.dataEnd;
    }
  }

  /** The held role chunk's data, decoded (`OpeningHold`): the read it came in is still the one taken. */
  heldChunk(): string {
    return textOf(this.buf, this.heldAt, this.heldEnd);
  }

  /** Whether the event holds `"usage": {` — found with one native search per read, not per event. */
  private carriesUsage(span: SseSpan): boolean {
    this.usageAt = keyWithValueAt(this.buf, USAGE_KEY, this.usageAt, span, OPEN_BRACE);
    return foundBefore(this.usageAt, span.end);
  }

  /**
   * Where the event's `"finish_reason": "…"` value opens (a string: OpenAI sends `null` on every
   * chunk before the last), -1 when it holds none; once found, searched for again past the event
   * (of n choices, each finishes: another's may be OpenRouter's error).
   */
  private finishIn(span: SseSpan): number {
    const at = keyWithValueAt(this.buf, FINISH_KEY, this.finishAt, span, QUOTE);
    if (!foundBefore(at, span.end)) {
      this.finishAt = at;
      return -1;
    }
    this.finishAt = indexOf.call(this.buf, FINISH_KEY, span.end);
    return valueAt(this.buf, at + FINISH_KEY.length, span.end);
  }
}
