import type { Dialect, Operation } from "../core/dialect.ts";
import { SseDecoder } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { describeVectors, type Vectors, vectorsOf } from "./embedding-vectors.ts";
import { chatFinish, type Finish, messagesFinish, responsesFinish } from "./finish.ts";

/**
 * What an answer said, as far as comparing two answers needs: its text, tool calls and finish;
 * an embeddings answer's vectors.
 */
export interface Answer {
  /** For embeddings, what the vectors are (`2 vectors of 1536 dimensions`), as a pair shows it. */
  text: string;
  toolCalls: ToolCall[];
  /**
   * Why it ended, in OpenAI's words whatever the dialect (finish.ts): `stop`, `length`,
   * `tool_calls`, `content_filter`; null where the answer did not say.
   */
  finish: Finish;
  /** An embeddings answer's vectors (embedding-vectors.ts): compared in place of the text. */
  vectors?: Vectors;
  /**
   * OpenAI's refusal, its words: a chat message's `refusal` (a stream's `refusal` deltas), a
   * Responses `refusal` part. Absent when it gave none (agreement.ts reads a `content_filter`
   * finish as a refusal without words).
   */
  refusal?: string;
  /**
   * Read only in part: a primary's stream past the bound on what the pair holds of it
   * (capture-answer.ts), the rest passed to the client unread. Such a pair is not compared
   * (agreement.ts): its first part against a whole candidate says nothing of the candidate.
   */
  cut?: true;
}

export interface ToolCall {
  name: string;
  /** Parsed when the arguments are JSON, else the raw text. */
  arguments: unknown;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/**
 * Choice 0 of an OpenAI answer or chunk: the first choice object whose `index` is 0 or absent.
 * A stream asked for with n > 1 sends each chunk's deltas for one or more choices, so the first
 * object of a chunk is not always choice 0; the answer compared is choice 0's, as for a whole body.
 */
function firstChoice(value: unknown): Json | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (isObject(item) && (item.index === undefined || item.index === 0)) return item;
  return undefined;
}
const string = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * A tool call's arguments, parsed when they are JSON. None at all (an empty text: Anthropic's one
 * empty `partial_json` for a tool without input, an upstream's empty `arguments`) is `{}`, as the
 * whole answer and Anthropic's SDK read them, so a call is told apart by what it passes alone.
 */
function parseArguments(raw: unknown): unknown {
  if (typeof raw !== "string") return raw ?? null;
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Reads a whole (non-stream) answer in the caller's dialect. */
export function answerFromJson(operation: Operation, body: unknown): Answer {
  if (!isObject(body)) return { text: "", toolCalls: [], finish: null };
  if (operation === "embeddings") {
    const vectors = vectorsOf(body);
    return { text: describeVectors(vectors), toolCalls: [], finish: null, vectors };
  }
  if (operation === "messages") {
    const blocks = array(body.content).filter(isObject);
    return {
      text: blocks.map((b) => (b.type === "text" ? string(b.text) : "")).join(""),
      toolCalls: blocks
        .filter((b) => b.type === "tool_use")
        .map((b) => ({ name: string(b.name), arguments: b.input ?? null })),
      finish: messagesFinish(body.stop_reason),
    };
  }
  if (operation === "responses") {
    const items = array(body.output).filter(isObject);
    const parts = items.flatMap((item) => array(item.content).filter(isObject));
    const refusals = parts.filter((part) => part.type === "refusal");
    return {
      ...(refusals.length > 0 ? { refusal: refusals.map((part) => string(part.refusal)).join("") } : {}),
      text: parts.map((part) => (part.type === "output_text" ? string(part.text) : "")).join(""),
      toolCalls: items
        .filter((item) => item.type === "function_call")
        .map((item) => ({ name: string(item.name), arguments: parseArguments(item.arguments) })),
      finish: responsesFinish(body.status, body.incomplete_details),
    };
  }
  const choice = firstChoice(body.choices);
  if (!choice) return { text: "", toolCalls: [], finish: null };
  const finish = chatFinish(choice.finish_reason);
  if (operation === "completions") return { text: string(choice.text), toolCalls: [], finish };
  const message = isObject(choice.message) ? choice.message : {};
  return {
    ...(typeof message.refusal === "string" ? { refusal: message.refusal } : {}),
    text: string(message.content),
    toolCalls: array(message.tool_calls)
      .filter(isObject)
      .map((call) => {
        const fn = isObject(call.function) ? call.function : {};
        return { name: string(fn.name), arguments: parseArguments(fn.arguments) };
      }),
    finish,
  };
}

/**
 * Builds an answer from a stream's events (their `data`, in the caller's dialect) as they come,
 * so neither side's stream is ever held whole.
 */
export class AnswerStream {
  private text = "";
  private readonly tools = new Map<number, { name: string; args: string; input?: unknown }>();
  private final: Answer | undefined;
  /** The characters of `final`, counted once when it is read. */
  private finalHeld = 0;
  private finish: Finish = null;
  private refusal: string | undefined;

  constructor(private readonly operation: Operation) {}

  event(data: string): void {
    if (data === "[DONE]" || this.final) return;
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      return;
    }
    this.take(body);
  }

  /** One event's data, already parsed. */
  take(body: unknown): void {
    if (this.final || !isObject(body)) return;
    if (this.operation === "messages") this.anthropic(body);
    else if (this.operation === "responses") this.responses(body);
    else this.openai(body);
  }

  /**
   * Characters of the answer held so far: its text, refusal and tool calls' names and arguments
   * (what grows with a long stream, bounded by its reader: read-copy.ts). Once a Responses stream's
   * last event gives the whole answer, that answer alone: its deltas, which it repeats, are let go.
   */
  get held(): number {
    if (this.final) return this.finalHeld;
    let held = this.text.length + (this.refusal?.length ?? 0);
    for (const tool of this.tools.values()) held += tool.name.length + tool.args.length;
    return held;
  }

  answer(): Answer {
    if (this.final) return this.final;
    const toolCalls = [...this.tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, tool]) => ({
        name: tool.name,
        arguments: tool.input !== undefined && tool.args === "" ? tool.input : parseArguments(tool.args),
      }));
    const answer: Answer = { text: this.text, toolCalls, finish: this.finish };
    if (this.refusal !== undefined) answer.refusal = this.refusal;
    return answer;
  }

  private tool(index: number) {
    let tool = this.tools.get(index);
    if (!tool) {
      tool = { name: "", args: "" };
      this.tools.set(index, tool);
    }
    return tool;
  }

  private openai(body: Json): void {
    const choice = firstChoice(body.choices);
    if (!choice) return;
    // Sent on the last chunk of the choice (null on every one before).
    if (typeof choice.finish_reason === "string") this.finish = chatFinish(choice.finish_reason);
    if (this.operation === "completions") {
      this.text += string(choice.text);
      return;
    }
    const delta = choice.delta;
    if (!isObject(delta)) return;
    this.text += string(delta.content);
    if (typeof delta.refusal === "string") this.refusal = (this.refusal ?? "") + delta.refusal;
    // Most events carry no tool calls: nothing is allocated for them.
    const calls = delta.tool_calls;
    if (!Array.isArray(calls)) return;
    for (const call of calls) {
      if (!isObject(call)) continue;
      const tool = this.tool(typeof call.index === "number" ? call.index : 0);
      const fn = isObject(call.function) ? call.function : {};
      tool.name += string(fn.name);
      tool.args += string(fn.arguments);
    }
  }

  private anthropic(body: Json): void {
    const index = typeof body.index === "number" ? body.index : 0;
    if (body.type === "content_block_start" && isObject(body.content_block)) {
      const block = body.content_block;
      if (block.type === "tool_use") {
        const tool = this.tool(index);
        tool.name = string(block.name);
        if (isObject(block.input) && Object.keys(block.input).length > 0) tool.input = block.input;
      } else if (block.type === "text") this.text += string(block.text);
    } else if (body.type === "content_block_delta" && isObject(body.delta)) {
      if (body.delta.type === "text_delta") this.text += string(body.delta.text);
      else if (body.delta.type === "input_json_delta") {
        // Only a `tool_use` block's: a server tool's (`server_tool_use`: web search, code
        // execution) input streams so too, and a whole answer's is no tool call either.
        const tool = this.tools.get(index);
        if (tool) tool.args += string(body.delta.partial_json);
      }
    } else if (body.type === "message_delta" && isObject(body.delta))
      this.finish = messagesFinish(body.delta.stop_reason);
  }

  private responses(body: Json): void {
    if (body.type === "response.output_text.delta") this.text += string(body.delta);
    // The last event carries the whole response, its status too: the surest reading of it.
    else if (
      (body.type === "response.completed" || body.type === "response.incomplete") &&
      isObject(body.response)
    ) {
      const final = answerFromJson("responses", body.response);
      this.final = final;
      this.finalHeld = final.text.length + (final.refusal?.length ?? 0);
      for (const call of final.toolCalls)
        this.finalHeld +=
          call.name.length +
          (typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments)).length;
      // The answer is the final one: what the deltas gathered is not held twice.
      this.text = "";
      this.refusal = undefined;
      this.tools.clear();
    }
  }
}

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
