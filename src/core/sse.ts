import { isJsonObject } from "./dialect.ts";
import { GatewayError } from "./gateway-error.ts";

/** One server-sent event. `data` is the joined data lines, untouched (usually JSON). */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * The field older llama.cpp servers report a stream's failure in (`error: {"code":500,…}`, a line
 * of its own, then `data: [DONE]`): read as the OpenAI error chunk it stands for (`errorFieldData`).
 */
export const ERROR_FIELD = "error";

/**
 * An `error:` field's value as the data of the OpenAI error chunk it stands for, the stream's
 * failure to every reader of OpenAI streams: `{"error": value}` (llama.cpp's `{"code":500,
 * "message":…,"type":"server_error"}` is an OpenAI error object), the value itself when it is
 * such a chunk already, `{"error":{"message": text}}` for text that is no JSON object.
 */
export function errorFieldData(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (!isJsonObject(parsed)) return JSON.stringify({ error: { message: value } });
  return "error" in parsed ? value : `{"error":${value}}`;
}

/** Upstreams that never end a line are cut off here rather than buffered forever. */
export const DEFAULT_MAX_SSE_LINE = 1024 * 1024;

/**
 * The failure of an event-stream line past its bound, in bytes, in the same words on every relay:
 * the bytes relayed (sse-scanner.ts) and the events decoded (`SseDecoder`) alike. A scanner does
 * not know whose stream it reads: the reader that does names the sender (`sender`: `upstream fa`,
 * `worker w1`; providers/upstream-name.ts `namedFailure`), on the failure's path alone.
 */
export class LineTooLong extends GatewayError {
  constructor(
    readonly maxLine: number,
    readonly sender?: string,
  ) {
    super({
      status: 502,
      code: "upstream_error",
      message: `${sender ?? "upstream"} sent an event-stream line longer than ${maxLine} bytes`,
      retryable: true,
    });
  }
}

export const lineTooLong = (maxLine: number): GatewayError => new LineTooLong(maxLine);

/**
 * The UTF-8 bytes of `text[from, to)`, as the upstream sent them (a UTF-16 unit is 1 to 3 bytes, a
 * surrogate pair's two 4), counted only until past `bound`: no copy.
 */
function utf8Bytes(text: string, from: number, to: number, bound: number): number {
  let bytes = 0;
  for (let i = from; i < to && bytes <= bound; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

/** What of a line still arriving is counted already: its first `units`, `bytes` long in UTF-8. */
interface CountedPrefix {
  units: number;
  bytes: number;
}

const NOTHING_COUNTED: CountedPrefix = { units: 0, bytes: 0 };

/**
 * Incremental SSE decoder (the WHATWG event-stream rules we rely on): lines end in LF, CR
 * or CRLF; `data:` lines join with "\n"; `event:` names the event; comments and `id`/`retry`
 * are ignored; a blank line dispatches. A line longer than `maxLine` bytes throws a retryable
 * upstream error (`lineTooLong`), whether it ended in the read that brought it or is still
 * arriving: the same stream fails alike however its writes were split into reads. One field of
 * no standard is read too: `error: {…}`, how llama.cpp's server before 2025 reported a stream's
 * failure (then `data: [DONE]`), is the OpenAI error chunk it stands for (`errorFieldData`),
 * where a browser would drop the line and the failure with it (`ERROR_FIELD`).
 */
export class SseDecoder {
  private readonly text = new TextDecoder();
  private pending = "";
  /** The event's data lines so far, joined with "\n"; undefined before its first. */
  private data: string | undefined;
  /**
   * The event's data came from an `error:` field: a `data:` line after it is dropped, as the byte
   * relay's scanner drops it (sse-scanner.ts), not joined into data no reader could parse.
   */
  private dataFromError = false;
  private eventName: string | undefined;
  private lastWasCr = false;
  /**
   * A line of at most this many UTF-16 units is within the bound whatever its characters (3 bytes
   * a unit at most): its bytes are counted (`longerThan`) only past it, an integer compared a line.
   */
  private readonly surelyWithin: number;
  /**
   * What of `pending`, a line still arriving past `surelyWithin`, is counted already: each read
   * counts only what it brought, not the whole line again.
   */
  private counted = NOTHING_COUNTED;

  constructor(private readonly maxLine = DEFAULT_MAX_SSE_LINE) {
    this.surelyWithin = Math.floor(maxLine / 3);
  }

  push(chunk: Uint8Array): SseEvent[] {
    return this.feed(this.text.decode(chunk, STREAM));
  }

  /** The same for text already decoded (a captured stream, say). */
  pushText(text: string): SseEvent[] {
    return this.feed(text);
  }

  /** Flushes a final event that was not followed by a blank line. */
  end(): SseEvent[] {
    const out = this.feed(`${this.text.decode()}\n\n`);
    return out;
  }

  private feed(input: string): SseEvent[] {
    const out: SseEvent[] = [];
    const text = this.pending === "" ? input : this.pending + input;
    this.pending = "";
    // Counted of the line `text` begins with, the one `pending` held; nothing of any other.
    const counted = this.counted;
    this.counted = NOTHING_COUNTED;
    let start = 0;
    if (this.lastWasCr && text.charCodeAt(0) === 10) start = 1;
    this.lastWasCr = false;
    // Lines found by the engine's own search: a line feed, unless a CR ends lines somewhere in
    // this text (then each character is looked at, as the three line endings need).
    const crs = text.indexOf("\r", start) !== -1;
    for (let i = crs ? start : text.indexOf("\n", start); i !== -1 && i < text.length; ) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) {
        i++;
        continue;
      }
      if (i - start > this.surelyWithin)
        this.bounded(text, start, i, start === 0 ? counted : NOTHING_COUNTED);
      this.line(text, start, i, out);
      if (c === 13) {
        if (i + 1 === text.length) this.lastWasCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      i = crs ? start : text.indexOf("\n", start);
    }
    if (text.length - start > this.surelyWithin)
      this.counted = this.bounded(text, start, text.length, start === 0 ? counted : NOTHING_COUNTED);
    this.pending = start === 0 ? text : text.slice(start);
    return out;
  }

  /**
   * Throws when the line `text[from, to)`, whole or still arriving, is past the bound; else what of
   * it is counted. Its first `counted.units` were counted by an earlier read: only the rest is.
   */
  private bounded(text: string, from: number, to: number, counted: CountedPrefix): CountedPrefix {
    const bound = this.maxLine;
    if (to - from > bound) throw lineTooLong(bound);
    const bytes = counted.bytes + utf8Bytes(text, from + counted.units, to, bound - counted.bytes);
    if (bytes > bound) throw lineTooLong(bound);
    return { units: to - from, bytes };
  }

  /** The line `text[from, to)`. */
  private line(text: string, from: number, to: number, out: SseEvent[]): void {
    if (from === to) {
      const data = this.data;
      if (data !== undefined) {
        const event: SseEvent = { data };
        if (this.eventName !== undefined) event.event = this.eventName;
        out.push(event);
      }
      this.data = undefined;
      this.dataFromError = false;
      this.eventName = undefined;
      return;
    }
    const first = text.charCodeAt(from);
    if (first === 58) return; // ":" comment
    // The everyday line, `data: …`, read without finding its colon.
    if (first === 100 && text.startsWith("data: ", from)) {
      this.addData(text.slice(from + 6, to));
      return;
    }
    const line = text.slice(from, to);
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.addData(value);
    else if (field === "event") this.eventName = value;
    // Only as an event's first data, as the byte relay's scanner reads it (sse-scanner.ts): after a
    // `data:` line the event is that data's, the field dropped as a client's reader drops it.
    else if (field === ERROR_FIELD && this.data === undefined) {
      this.addData(errorFieldData(value));
      this.dataFromError = true;
    }
  }

  private addData(value: string): void {
    if (this.dataFromError) return;
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }
}

/** `TextDecoder.decode`'s options for a chunk of a longer stream: one object, not one a chunk. */
const STREAM = { stream: true };

/**
 * Decodes a byte stream into events as they arrive. A decoder, not a translation loop: the events
 * stay in the upstream's dialect; translating them is translate/stream/stream-translation.ts's alone.
 */
export async function* decodeSse(
  body: AsyncIterable<Uint8Array>,
  maxLine = DEFAULT_MAX_SSE_LINE,
): AsyncGenerator<SseEvent> {
  const decoder = new SseDecoder(maxLine);
  for await (const chunk of body) yield* decoder.push(chunk);
  yield* decoder.end();
}

export function encodeSse(event: SseEvent): string {
  const head = event.event === undefined ? "" : `event: ${event.event}\n`;
  return `${head}data: ${event.data.replaceAll("\n", "\ndata: ")}\n\n`;
}
