import type { Dialect, Operation } from "../core/dialect.ts";
import { SseDecoder } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type Answer, AnswerStream } from "./answer.ts";

// A stream's answer read from its wire text (the primary's captured bytes, a copy's stream) in
// few, large slices; what an answer is, and how one event adds to it, is answer.ts's.

/** Events are parsed once this much unread text has gathered (and at the end): few, large slices. */
const SLICE = 64 * 1024;
const HAS_USAGE = /"usage"\s*:\s*\{/;

/**
 * Reads a stream's answer, and its usage, from its wire text pushed as it arrives. Nothing is
 * parsed per chunk: text gathers until a slice is large (or the stream ends), then the slice's
 * complete events are read in one pass. Memory stays near the answer's own size.
 */
export class SseAnswerReader {
  private pending = "";
  private readonly reader: AnswerStream;
  private readonly meter: StreamUsageMeter | undefined;
  private readonly usageOf: ((body: unknown) => Usage | undefined) | undefined;

  /** Whether the stream's last event repeats its answer (Responses). */
  private readonly repeats: boolean;

  constructor(operation: Operation, dialect?: Dialect) {
    this.reader = new AnswerStream(operation);
    this.repeats = operation === "responses";
    this.meter = dialect ? new StreamUsageMeter(dialect) : undefined;
    this.usageOf = dialect ? (dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI) : undefined;
  }

  push(text: string): void {
    this.pending += text;
    if (this.pending.length < SLICE) return;
    // An event ends at a blank line: `\n\n`, or `\r\n\r\n` where lines end in CRLF (sse-starlette's
    // default), in which no two `\n` meet: unfound, the whole rest of the stream would gather unread.
    const lf = this.pending.lastIndexOf("\n\n");
    const crlf = this.pending.lastIndexOf("\r\n\r\n");
    const end = Math.max(lf, crlf);
    if (end === -1) return;
    this.read(this.pending.slice(0, end));
    this.pending = this.pending.slice(end + (end === crlf ? 4 : 2));
  }

  /**
   * Characters held: the text not read yet and the answer read so far. A Responses stream's last
   * event (`response.completed`) repeats the whole answer its deltas sent, so there the larger of
   * the two is counted, not their sum: the answer counts once, as in a whole copy's body (what is
   * truly held is at most twice it, and deltas not read yet are counted once read, a slice on).
   */
  get held(): number {
    if (this.repeats) return Math.max(this.pending.length, this.reader.held);
    return this.pending.length + this.reader.held;
  }

  finish(): { answer: Answer; usage: Usage | undefined } {
    this.read(this.pending);
    this.pending = "";
    return { answer: this.reader.answer(), usage: this.meter?.usage };
  }

  private read(text: string): void {
    const events = plainEvents(text);
    if (events) {
      for (const body of events) {
        this.reader.take(body);
        // Only the events that carry usage hold it (one or two a stream): read off the parse.
        if (this.usageOf) {
          const usage = this.usageOf(body);
          if (usage) this.meter?.record(usage);
        }
      }
      return;
    }
    const datas = dataOf(text);
    if (datas.length === 0) return;
    // One parse for the whole slice (a JSON array of the events' data) instead of one per event:
    // for the small events of a token stream the per-call cost dominates. Anything the array
    // cannot hold (a malformed event, data over several lines) is read event by event instead.
    let bodies: unknown;
    try {
      bodies = JSON.parse(`[${datas.join(",")}]`);
    } catch {
      bodies = undefined;
    }
    if (!Array.isArray(bodies) || bodies.length !== datas.length) {
      // The project's decoder, unbounded: a captured text is already bounded, and a long line
      // here is read, not refused.
      const decoder = new SseDecoder(Number.POSITIVE_INFINITY);
      for (const { data } of [...decoder.pushText(text), ...decoder.end()]) {
        if (data === "") continue;
        this.reader.event(data);
        if (this.meter && HAS_USAGE.test(data)) this.meter.observe({ data });
      }
      return;
    }
    for (let i = 0; i < datas.length; i++) {
      this.reader.take(bodies[i]);
      // Only the events that carry usage are read for it (one or two a stream).
      const data = datas[i] as string;
      if (this.meter && HAS_USAGE.test(data)) this.meter.observe({ data });
    }
  }
}

const DATA = "data: ";
const NEXT_EVENT = "\n\ndata: ";
const DONE_EVENT = "data: [DONE]";

/**
 * The events of `text` parsed at once, when it is the plain shape of an OpenAI stream: every
 * event one `data: ` line and nothing else (no names, ids, comments or CRs), the last one maybe
 * `[DONE]`. Then the text becomes a JSON array by turning each event boundary into a comma — no
 * per-event strings — and one parse reads it; a raw newline never occurs inside JSON text, so
 * each boundary is a real one. Undefined for any other shape (the caller reads line by line).
 */
function plainEvents(text: string): unknown[] | undefined {
  if (!text.startsWith(DATA)) return undefined;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  if (text.endsWith(DONE_EVENT, end)) {
    end -= DONE_EVENT.length;
    while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  }
  if (end <= DATA.length) return undefined;
  const events = text.slice(DATA.length, end);
  const joined = events.replaceAll(NEXT_EVENT, ",");
  // A newline left over is a line of another kind (a comment, a name, a second data line).
  if (joined.includes("\n")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${joined}]`);
  } catch {
    return undefined;
  }
  const count = 1 + (events.length - joined.length) / (NEXT_EVENT.length - 1);
  // A data line holding more than one value (`1,2`) would shift the count: read line by line.
  return Array.isArray(parsed) && parsed.length === count ? parsed : undefined;
}

/**
 * Every `data:` line's value in `text`, `[DONE]` left out. A plain scan line by line: a
 * multiline regular expression over the text cost more than the parse it feeds.
 */
function dataOf(text: string): string[] {
  const datas: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf("\n", at);
    if (end === -1) end = text.length;
    if (text.startsWith("data:", at)) {
      const start = text.charCodeAt(at + 5) === 32 ? at + 6 : at + 5;
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const data = text.slice(start, stop);
      if (data !== "[DONE]" && data !== "") datas.push(data);
    }
    at = end + 1;
  }
  return datas;
}

/** Reads an answer from captured event-stream text (the primary's wire bytes, bounded). */
export function answerFromSseText(operation: Operation, text: string): Answer {
  const reader = new SseAnswerReader(operation);
  reader.push(text);
  return reader.finish().answer;
}
