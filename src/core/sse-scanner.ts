import type { GatewayError } from "./gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE, ERROR_FIELD, lineTooLong } from "./sse.ts";

/**
 * One complete event found by the scanner, as byte offsets into the scanned buffer. The object
 * is reused from one event to the next: read it inside the callback.
 */
export interface SseSpan {
  /** The event's bytes `[start, end)`, its closing blank line included. */
  start: number;
  end: number;
  /** The first `data:` value `[dataStart, dataEnd)`; -1 when the event carries no data (a comment). */
  dataStart: number;
  dataEnd: number;
  /**
   * The `event:` value `[nameStart, nameEnd)`; -1 when the event is unnamed. For an `error:`
   * field line (`errorField`), the field's own name: the event reads as `event: error`.
   */
  nameStart: number;
  nameEnd: number;
  /**
   * The event is llama.cpp's `error:` field (sse.ts `ERROR_FIELD`): its value is the data
   * (`dataStart`), its name `error`; none of its bytes is a line a client's SSE reader keeps.
   */
  errorField: boolean;
}

/** Hears each complete event a scan finds (an object, so a caller's per-read state needs no closure). */
export interface SpanSink {
  onSpan(span: SseSpan): void;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const DATA = new TextEncoder().encode("data");
const EVENT = new TextEncoder().encode("event");
const ERROR = new TextEncoder().encode(ERROR_FIELD);

/** True when `buf[at..]` starts with `field` followed by a colon or the end of the line. */
function isField(buf: Uint8Array, at: number, lineEnd: number, field: Uint8Array): boolean {
  if (lineEnd - at < field.length) return false;
  for (let k = 0; k < field.length; k++) if (buf[at + k] !== field[k]) return false;
  return lineEnd === at + field.length || buf[at + field.length] === COLON;
}

/** Where a field's value starts: after the colon and one optional space. */
function valueStart(at: number, lineEnd: number, buf: Uint8Array): number {
  let v = at + 1;
  if (v < lineEnd && buf[v] === SPACE) v++;
  return Math.min(v, lineEnd);
}

/**
 * Finds event boundaries in an event stream's bytes without decoding them: the relay moves the
 * upstream's bytes as they come and reads only the few events it must (usage, errors). Line
 * ends follow the WHATWG rules the decoder in `sse.ts` follows (LF, CR or CRLF; a CRLF split
 * across reads counts once). Each call scans a buffer that starts where the previous call's
 * last complete event ended: the caller carries the incomplete rest over. A line longer than
 * `maxLine` bytes throws a retryable upstream error, whether it ended in the buffer or is still
 * arriving (each line's length is compared as it is found). The scanner is itself the span it hands
 * its sink (one object a stream, not two): read its offsets inside the callback.
 */
export class SseScanner implements SseSpan {
  /** The last boundary was a CR at the very end of its buffer: an LF opening the next one belongs to it. */
  private carryCr = false;
  start = 0;
  end = 0;
  dataStart = -1;
  dataEnd = -1;
  nameStart = -1;
  nameEnd = -1;
  errorField = false;

  constructor(private readonly maxLine = DEFAULT_MAX_SSE_LINE) {}

  /** The failure of a line past the bound: the stream can be read no further. */
  protected lineTooLong(): GatewayError {
    return lineTooLong(this.maxLine);
  }

  /**
   * A line past the bound is arriving after the events that end at `consumed` (each already
   * given to the sink): here the scan fails; a scanner that can still hand those events on
   * (routing/relay-scan.ts) ends its stream at `consumed` instead.
   */
  protected overlong(_consumed: number): number {
    throw this.lineTooLong();
  }

  /**
   * Calls `sink.onSpan` for each complete event in `buf` that has at least one non-blank line, and
   * returns the offset just past the last blank line seen: everything before it may be written
   * out, everything after it is an event still arriving.
   */
  scan(buf: Uint8Array, sink: SpanSink): number {
    let p = 0;
    if (this.carryCr && buf.length > 0 && buf[0] === LF) p = 1;
    let consumed = 0;
    let endsInCr = false;
    let blockStart = 0;
    let content = false;
    this.dataStart = this.nameStart = -1;
    this.errorField = false;
    let nextLf = buf.indexOf(LF, p);
    let nextCr = buf.indexOf(CR, p);
    while (true) {
      // A line end right where the next line starts (the blank line closing an event) is read
      // off its byte: a native search per line, not two per event.
      if (nextLf !== -1 && nextLf < p) nextLf = buf[p] === LF ? p : buf.indexOf(LF, p);
      if (nextCr !== -1 && nextCr < p) nextCr = buf[p] === CR ? p : buf.indexOf(CR, p);
      const t = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (t === -1) break;
      // A whole line past the bound fails as one still arriving does: however the reads were split.
      if (t - p > this.maxLine) return this.overlong(consumed);
      let after = t + 1;
      const crAtEnd = buf[t] === CR && after === buf.length;
      if (buf[t] === CR && buf[after] === LF) after++;
      if (t === p) {
        // A blank line: the block so far is one event.
        if (content) {
          this.start = blockStart;
          this.end = after;
          sink.onSpan(this);
          this.dataStart = this.nameStart = -1;
          this.errorField = false;
        }
        consumed = after;
        endsInCr = crAtEnd;
        blockStart = after;
        content = false;
      } else {
        content = true;
        if (buf[p] === DATA[0] && this.dataStart === -1 && isField(buf, p, t, DATA)) {
          this.dataStart = valueStart(p + DATA.length, t, buf);
          this.dataEnd = t;
        } else if (buf[p] === EVENT[0]) {
          // `event:`, or (rarely, and read only then) llama.cpp's `error:` field, both starting `e`.
          if (isField(buf, p, t, EVENT)) {
            this.nameStart = valueStart(p + EVENT.length, t, buf);
            this.nameEnd = t;
          } else if (this.dataStart === -1 && isField(buf, p, t, ERROR)) this.errorLine(buf, p, t);
        }
      }
      p = after;
    }
    if (buf.length - p > this.maxLine) return this.overlong(consumed);
    if (consumed > 0) this.carryCr = endsInCr;
    return consumed;
  }

  /** The `error:` field line `buf[at, lineEnd)`: named by its field, `error`, its value the data. */
  private errorLine(buf: Uint8Array, at: number, lineEnd: number): void {
    this.errorField = true;
    this.nameStart = at;
    this.nameEnd = at + ERROR.length;
    this.dataStart = valueStart(at + ERROR.length, lineEnd, buf);
    this.dataEnd = lineEnd;
  }
}
