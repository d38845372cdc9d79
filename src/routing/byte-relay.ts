import type { ChunkSource } from "../core/chunk-source.ts";
import { clientClosed, type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { SseDecoder, type SseEvent } from "../core/sse.ts";
import { SseScanner, type SseSpan } from "../core/sse-scanner.ts";
import type { Attempt } from "./attempt.ts";

/** Called as methods of the object (the router's attempt is one: routing/route-attempt.ts). */
export interface ByteRelayOptions {
  /** Names the upstream in error messages. */
  readonly provider: string;
  readonly maxLine: number;
  /**
   * Sees each event that carries a usage object — the only events the relay decodes — and
   * returns false to keep it from the caller (the `include_usage` chunk the caller did not ask for).
   */
  onUsage(event: SseEvent): boolean;
  /** Called once, however the relay ends: with the failure when it failed. */
  done(error?: GatewayError): void;
}

/** A relay that has its first event, as the answer the router commits to. */
export interface RelayedStream {
  readonly kind: "stream";
  readonly chunks: ChunkSource;
}

const encoder = new TextEncoder();
const USAGE = encoder.encode('"usage"');
const ERROR_NAME = encoder.encode("error");
const ERROR_KEY = encoder.encode('"error"');
const BLANK_LINE = encoder.encode("\n\n");
const DONE = encoder.encode("[DONE]");
/** How each dialect ends a complete stream: OpenAI's `[DONE]`, Anthropic's and Responses' last event. */
const END_EVENTS = ["message_stop", "response.completed", "response.incomplete", "response.failed"].map(
  (name) => encoder.encode(name),
);

/** The stream's own end marker: `data: [DONE]`, or a final event by name. */
function endsStream(buf: Uint8Array, span: SseSpan): boolean {
  if (span.dataEnd - span.dataStart === DONE.length && matches(buf, span.dataStart, span.dataEnd, DONE))
    return true;
  // Most events (every OpenAI chunk) are unnamed: no name to compare.
  if (span.nameStart === -1) return false;
  const length = span.nameEnd - span.nameStart;
  for (const name of END_EVENTS)
    if (name.length === length && matches(buf, span.nameStart, span.nameEnd, name)) return true;
  return false;
}

/**
 * Every event of both dialects carries a JSON object (or `[DONE]`). Only the first byte is
 * looked at: a full parse per event is what the byte relay exists to avoid, and garbage (an
 * HTML error page, plain text) is caught by it; a cut-off object ends the stream early, which
 * the missing end marker catches.
 */
function malformed(buf: Uint8Array, span: SseSpan): boolean {
  const at = skipSpace(buf, span.dataStart, span.dataEnd);
  return at < span.dataEnd && buf[at] !== 123 && !matches(buf, at, span.dataEnd, DONE);
}

const isSpace = (b: number | undefined) => b === 32 || b === 9 || b === 10 || b === 13;

function skipSpace(buf: Uint8Array, at: number, end: number): number {
  while (at < end && isSpace(buf[at])) at++;
  return at;
}

function matches(buf: Uint8Array, at: number, end: number, word: Uint8Array): boolean {
  if (end - at < word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[at + k] !== word[k]) return false;
  return true;
}

/** `event: error`, or a data payload that opens with an `"error"` key (OpenAI's in-band error chunk). */
function reportsError(buf: Uint8Array, span: SseSpan): boolean {
  if (
    span.nameEnd - span.nameStart === ERROR_NAME.length &&
    matches(buf, span.nameStart, span.nameEnd, ERROR_NAME)
  )
    return true;
  let at = skipSpace(buf, span.dataStart, span.dataEnd);
  if (buf[at] !== 123) return false; // "{"
  at = skipSpace(buf, at + 1, span.dataEnd);
  return matches(buf, at, span.dataEnd, ERROR_KEY);
}

const text = new TextDecoder();

/**
 * Decodes one event the relay must read. The usual shape — an optional name and one `data:`
 * line — is sliced out directly; anything else (several data lines) takes the full decoder.
 */
function eventOf(buf: Uint8Array, span: SseSpan, maxLine: number): SseEvent | undefined {
  let rest = span.dataEnd;
  while (rest < span.end && (buf[rest] === 10 || buf[rest] === 13)) rest++;
  if (rest === span.end) {
    const data = text.decode(buf.subarray(span.dataStart, span.dataEnd));
    return span.nameStart === -1
      ? { data }
      : { event: text.decode(buf.subarray(span.nameStart, span.nameEnd)), data };
  }
  return new SseDecoder(maxLine).push(buf.subarray(span.start, span.end))[0];
}

const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/**
 * Relays a same-dialect event stream as the upstream's own bytes: one write per upstream read,
 * holding back only an event that has not finished arriving. The scanner finds event boundaries
 * (for the idle bound and the line bound); only events that carry a usage object are decoded
 * (usage is counted exactly, and the forced `include_usage` chunk can be cut out), and error
 * events are spotted by their first bytes.
 */
export class ByteRelay implements ChunkSource {
  reported: GatewayError | undefined;
  drained = false;
  private readonly scanner: SseScanner;
  private pending: Uint8Array | undefined;
  private started = false;
  private primed: Uint8Array | undefined;
  private closed = false;
  /** Per read: the buffer being scanned, its data events, the next `"usage"` in it, cut ranges. */
  private buf: Uint8Array = new Uint8Array(0);
  private view: Buffer = Buffer.alloc(0);
  private events = 0;
  private usageAt = -1;
  private readonly cuts: number[] = [];
  /** The stream's end marker went by. */
  private ended = false;
  /** Where the first malformed event starts in the current buffer (-1: none). */
  private brokenAt = -1;
  /** A failure found while bytes before it were still to be handed out: thrown on the next read. */
  private failAfter: GatewayError | undefined;
  /** The upstream's next read, already asked for (see `takeEnd`). */
  private upcoming: ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> | undefined;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly attempt: Attempt,
    private readonly options: ByteRelayOptions,
  ) {
    this.scanner = new SseScanner(options.maxLine);
  }

  /**
   * Reads until the first whole data event is in: until then a failure is the router's to retry
   * or fail over. Then the idle bound applies, re-armed by every read that completes an event.
   */
  async start(): Promise<RelayedStream> {
    this.primed = await this.read();
    if (!this.closed) this.attempt.arm("idle", this.attempt.timeouts.idleMs);
    // The relay as the answer to commit: the reply read hands this on with no frame of its own.
    return { kind: "stream", chunks: this };
  }

  next(): Promise<Uint8Array | undefined> {
    const primed = this.ready();
    return primed ? Promise.resolve(primed) : this.read();
  }

  ready(): Uint8Array | undefined {
    const primed = this.primed;
    this.primed = undefined;
    return primed;
  }

  private async read(): Promise<Uint8Array | undefined> {
    const failure = this.failAfter;
    if (failure) {
      this.failAfter = undefined;
      throw failure;
    }
    if (this.closed) return undefined;
    let held: Uint8Array | undefined;
    this.attempt.waiting(true);
    try {
      while (true) {
        const upcoming = this.upcoming ?? this.reader.read();
        this.upcoming = undefined;
        const read = await this.attempt.read(upcoming);
        if (read.done) {
          const last = this.pending ? this.take(BLANK_LINE) : undefined;
          const out = held && last ? concat(held, last) : (held ?? last);
          // A stream that stops without its end marker (and without an error event of its own)
          // was cut off: the client is told, and the record says it failed.
          const cut =
            this.ended || this.reported || this.brokenAt !== -1
              ? undefined
              : upstreamError(`upstream ${this.options.provider} ended the stream without its end marker`);
          if (!cut) {
            this.close(undefined, true);
            return out;
          }
          this.close(cut, true);
          if (!out) throw cut;
          this.failAfter = cut;
          return this.handOut(out);
        }
        const taken = this.take(read.value);
        const out = this.brokenAt === -1 ? taken : this.beforeBroken(taken);
        if (this.started) {
          if (this.events > 0) this.attempt.rearm();
          if (!out) continue;
          if (this.ended) await this.takeEnd();
          return this.handOut(out);
        }
        if (out) held = held ? concat(held, out) : out;
        if (this.events > 0) this.started = true;
        if (this.started && held) {
          if (this.ended) await this.takeEnd();
          return this.handOut(held);
        }
      }
    } catch (error) {
      const failure = this.attempt.failure(
        error,
        upstreamError(`upstream ${this.options.provider} closed the connection mid-stream`),
      );
      this.close(failure);
      throw failure;
    }
  }

  cancel(): void {
    this.close();
  }

  /**
   * The end marker went by: the upstream's body usually ends in the same read, so its end is
   * taken now, and the client's response can close in the same write as these last bytes (one
   * write and no further pull, rather than a write for the terminator of its own). Waits one
   * microtask, no more: an upstream slow to end its body after the marker still has the marker
   * reach the client at once, and its end is read as before.
   */
  private async takeEnd(): Promise<void> {
    if (this.pending || this.closed) return;
    const upcoming = this.reader.read();
    await null;
    if (Bun.peek.status(upcoming) === "fulfilled" && (Bun.peek(upcoming) as { done: boolean }).done) {
      this.close(undefined, true);
      this.drained = true;
      return;
    }
    // Still to come (or not an end): the next read takes it. Observed meanwhile, so that a
    // failure before then is not an unhandled rejection.
    upcoming.catch(() => {});
    this.upcoming = upcoming;
  }

  /**
   * What may still go out once a malformed event was found: the events before it. The relay
   * stops there; the failure is thrown now, or on the next read when bytes precede it.
   */
  private beforeBroken(taken: Uint8Array | undefined): Uint8Array | undefined {
    const broken = upstreamError(`upstream ${this.options.provider} sent a malformed stream event`);
    const out = taken && this.brokenAt > 0 ? this.buf.subarray(0, this.brokenAt) : undefined;
    this.close(broken);
    if (!out) throw broken;
    this.failAfter = broken;
    return out;
  }

  /** The client has the chunk: until it asks for the next, the idle bound does not count. */
  private handOut(chunk: Uint8Array): Uint8Array {
    this.attempt.waiting(false);
    return chunk;
  }

  /**
   * `finished`: the upstream's body was read to its end, so there is nothing to stop: the
   * attempt is only disarmed (an abort costs an error object and an event, on every request).
   */
  private close(failure?: GatewayError, finished = false): void {
    if (this.closed) return;
    this.closed = true;
    if (finished) this.attempt.disarm();
    else this.attempt.abort(clientClosed());
    this.options.done(failure);
    if (!finished) this.reader.cancel().catch(() => {});
  }

  /** Scans one read; returns what may be written now (complete events, minus cut ones). */
  private take(chunk: Uint8Array): Uint8Array | undefined {
    const buf = this.pending ? concat(this.pending, chunk) : chunk;
    this.buf = buf;
    this.view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.events = 0;
    this.usageAt = this.view.indexOf(USAGE);
    this.cuts.length = 0;
    const consumed = this.scanner.scan(buf, this.onEvent);
    this.pending = consumed < buf.length ? buf.subarray(consumed) : undefined;
    if (consumed === 0) return undefined;
    if (this.cuts.length === 0) return consumed === buf.length ? buf : buf.subarray(0, consumed);
    return this.withoutCuts(consumed);
  }

  private readonly onEvent = (span: SseSpan): void => {
    if (span.dataStart === -1) return; // a comment: relayed, but not an event
    if (this.brokenAt !== -1) return;
    this.events++;
    const buf = this.buf;
    if (endsStream(buf, span)) this.ended = true;
    else if (malformed(buf, span)) {
      this.brokenAt = span.start;
      return;
    }
    if (!this.reported && reportsError(buf, span)) {
      this.reported = upstreamError("the stream ended with an error event");
    }
    if (!this.carriesUsage(span)) return;
    const event = eventOf(buf, span, this.options.maxLine);
    if (event && !this.options.onUsage(event)) this.cuts.push(span.start, span.end);
  };

  /** Whether the event holds `"usage": {` — found with one native search per read, not per event. */
  private carriesUsage(span: SseSpan): boolean {
    while (this.usageAt !== -1 && this.usageAt < span.end) {
      if (this.usageAt >= span.start) {
        let at = skipSpace(this.buf, this.usageAt + USAGE.length, span.end);
        if (this.buf[at] === 58) {
          at = skipSpace(this.buf, at + 1, span.end);
          if (this.buf[at] === 123) return true;
        }
      }
      this.usageAt = this.view.indexOf(USAGE, this.usageAt + 1);
    }
    return false;
  }

  private withoutCuts(consumed: number): Uint8Array | undefined {
    let size = consumed;
    for (let k = 0; k < this.cuts.length; k += 2) size -= (this.cuts[k + 1] ?? 0) - (this.cuts[k] ?? 0);
    if (size === 0) return undefined;
    const out = new Uint8Array(size);
    let from = 0;
    let at = 0;
    for (let k = 0; k < this.cuts.length; k += 2) {
      const start = this.cuts[k] ?? 0;
      out.set(this.buf.subarray(from, start), at);
      at += start - from;
      from = this.cuts[k + 1] ?? start;
    }
    out.set(this.buf.subarray(from, consumed), at);
    return out;
  }
}
