import { upstreamError } from "./gateway-error.ts";

/** One server-sent event. `data` is the joined data lines, untouched (usually JSON). */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Upstreams that never end a line are cut off here rather than buffered forever. */
export const DEFAULT_MAX_SSE_LINE = 1024 * 1024;

/**
 * Incremental SSE decoder (the WHATWG event-stream rules we rely on): lines end in LF, CR
 * or CRLF; `data:` lines join with "\n"; `event:` names the event; comments and `id`/`retry`
 * are ignored; a blank line dispatches. A pending line longer than `maxLine` characters
 * throws a retryable upstream error.
 */
export class SseDecoder {
  private readonly text = new TextDecoder();
  private pending = "";
  private data: string[] = [];
  private eventName: string | undefined;
  private lastWasCr = false;

  constructor(private readonly maxLine = DEFAULT_MAX_SSE_LINE) {}

  push(chunk: Uint8Array): SseEvent[] {
    return this.feed(this.text.decode(chunk, { stream: true }));
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
    let text = this.pending + input;
    this.pending = "";
    let start = 0;
    if (this.lastWasCr && text.startsWith("\n")) start = 1;
    this.lastWasCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i), out);
      if (c === 13) {
        if (i + 1 === text.length) this.lastWasCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    text = text.slice(start);
    if (text.length > this.maxLine) {
      throw upstreamError(`upstream sent an event-stream line longer than ${this.maxLine} characters`);
    }
    this.pending = text;
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        const event: SseEvent = { data: this.data.join("\n") };
        if (this.eventName !== undefined) event.event = this.eventName;
        out.push(event);
      }
      this.data = [];
      this.eventName = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventName = value;
  }
}

/**
 * Decodes a byte stream into events as they arrive. A decoder, not a translation loop: the events
 * stay in the upstream's dialect; translating them is translate/stream/stream-driver.ts's alone.
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
