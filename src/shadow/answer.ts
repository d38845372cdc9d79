import type { Operation } from "../core/dialect.ts";
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
