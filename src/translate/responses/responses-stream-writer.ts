import type { JsonObject } from "../../core/dialect.ts";
import { failedResponse } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { cutByBound } from "../cut-tool-call.ts";
import type { OpenAIChunk, OpenAIUsage } from "../openai-schema.ts";
import {
  type ChoiceParts,
  type ChunkChoice,
  type ChunkToolCall,
  walkChoices,
} from "../stream/chat-choice-walk.ts";
import { gatheredWithin } from "../stream/output-bound.ts";
import type { StreamWriter } from "../stream/stream-translation.ts";
import { ToolCallSequencer, type ToolCallStep } from "../stream/tool-call-sequencer.ts";
import { thinkingStepOf } from "../thinking-blocks.ts";
import { compactionItem } from "./compaction.ts";
import { GatheredText } from "./gathered-text.ts";
import { itemDoneEvents } from "./item-done-events.ts";
import { contentRef, itemBody, itemRef, itemSoFar, type OpenItem, summaryRef } from "./open-item.ts";
import { outputTextLogprobs } from "./output-logprobs.ts";
import {
  functionCallItemId,
  messageItemId,
  outputTextPart,
  type ResponseStatus,
  reasoningItemId,
  refusalPart,
  responseEnvelope,
  responseStatus,
  responsesUsage,
  responsesUsageOf,
  summaryPart,
} from "./response-envelope.ts";
import { responsesAnnotation } from "./responses-annotation.ts";
import { ResponsesEvents } from "./responses-events.ts";
import { responsesModeration } from "./responses-moderation.ts";
import type { ResponsesStreamWriterOptions } from "./responses-stream-writer-options.ts";
import { ToolNames, type ToolTarget } from "./tool-names.ts";

/**
 * Writes a Responses event stream from chat chunks: the output items so far, the tool calls in
 * the order items can take them (tool-call-sequencer.ts), and the running sequence number every
 * event carries.
 * A custom tool's input arrives as JSON-encoded arguments; it is sent whole when the call ends.
 */
export class ResponsesStreamWriter implements StreamWriter<OpenAIChunk>, ChoiceParts {
  private finishReasonSeen = false;
  private readonly items: OpenItem[] = [];
  private current: OpenItem | undefined;
  private readonly calls = new ToolCallSequencer();
  private finishReason: string | null | undefined;
  private usage: OpenAIUsage | undefined;
  /** The answer's moderation, from its chunk with no choices (responses-moderation.ts). */
  private moderation: JsonObject | undefined;
  private readonly createdAt: number;
  private readonly names: ToolNames;
  /** A compaction's summary so far, and its one output item once written. */
  private readonly summaryText = new GatheredText();
  private compacted: JsonObject | undefined;
  /** What of the answer is gathered so far, in characters (`maxOutput`). */
  private gathered = 0;
  /** Logprobs that came with no text while no message was open (`textless`), for the next text. */
  private readonly heldLogprobs: JsonObject[] = [];

  private readonly events: ResponsesEvents;

  constructor(private readonly options: ResponsesStreamWriterOptions) {
    this.events = new ResponsesEvents(options.whole);
    this.createdAt = options.createdAt ?? Math.floor(Date.now() / 1000);
    this.names = options.tools ?? new ToolNames();
  }

  get complete(): boolean {
    return this.finishReasonSeen;
  }

  // Each method writes its events into a list it returns (no generator a chunk, nor one an item
  // kind within it): a translated stream calls `chunk` for every upstream event.

  start(): SseEvent[] {
    const response = this.envelope("in_progress", null);
    return [
      this.events.event("response.created", { response }),
      this.events.event("response.in_progress", { response }),
    ];
  }

  chunk(chunk: OpenAIChunk): SseEvent[] {
    const out: SseEvent[] = [];
    // A server that answers in blocks (Bedrock Converse): its next block's reasoning is an item of
    // its own, as a whole answer's noted blocks are (chat-response-to-response.ts).
    const step = thinkingStepOf(chunk);
    if (step?.apart) out.push(...this.reasoningApart());
    if (chunk.usage) this.usage = chunk.usage;
    if ("moderation" in chunk) this.moderation = responsesModeration(chunk.moderation);
    walkChoices(chunk, step, this, out);
    return out;
  }

  // The parts of a chunk's answer, as walkChoices reads them (ChoiceParts): reasoning, text,
  // refusal, tool calls as output items; a compaction gathers the text alone, as its summary.

  onReasoning(text: string, out: SseEvent[]): void {
    if (!this.options.compaction) this.reasoning(this.gather(text), out);
  }

  onContent(text: string, choice: ChunkChoice, out: SseEvent[]): void {
    if (this.options.compaction) this.summaryText.add(this.gather(text));
    else this.text(this.gather(text), outputTextLogprobs(choice.logprobs), out);
  }

  onNoContent(choice: ChunkChoice, out: SseEvent[]): void {
    if (this.options.compaction) return;
    const logprobs = outputTextLogprobs(choice.logprobs);
    if (logprobs.length > 0) this.textless(logprobs, out);
  }

  /**
   * The answer's web citations: each the open message's text part's, said in an
   * `output_text.annotation.added` event before its part is done, as OpenAI's stream says them.
   * Chat's index the whole content, of which this message holds what came after earlier messages'.
   */
  onAnnotations(annotations: readonly unknown[], out: SseEvent[]): void {
    const item = this.current;
    if (this.options.compaction || item?.kind !== "message") return;
    let from = 0;
    for (const earlier of this.items)
      if (earlier !== item && earlier.kind === "message") from += earlier.text.whole().length;
    for (const chat of annotations) {
      const annotation = responsesAnnotation(chat, from, item.text.whole().length);
      if (!annotation) continue;
      item.annotations.push(annotation);
      this.events.emit(out, "response.output_text.annotation.added", {
        ...contentRef(item),
        annotation_index: item.annotations.length - 1,
        annotation,
      });
    }
  }

  onRefusal(text: string, out: SseEvent[]): void {
    if (!this.options.compaction) this.refusal(this.gather(text), out);
  }

  onToolCall(call: ChunkToolCall, out: SseEvent[]): void {
    if (this.options.compaction) return;
    // Counted as it arrives: a call the sequencer holds back is gathered too.
    this.gather(call.function?.arguments ?? "");
    this.tool(this.calls.push(call), out);
  }

  onFinish(choice: ChunkChoice): void {
    this.finishReasonSeen = true;
    this.finishReason = choice.finish_reason;
  }

  /** `text`, counted against `maxOutput` (output-bound.ts): thrown past it, ending the stream. */
  private gather(text: string): string {
    this.gathered = gatheredWithin(this.gathered, text, this.options.maxOutput);
    return text;
  }

  finish(estimated?: Usage): SseEvent[] {
    const out: SseEvent[] = [];
    this.tool(this.calls.finish(), out);
    // A call the bound cut, said `tool_calls` (vLLM's): the response is incomplete, the call cut.
    const open = this.current;
    const cut =
      open?.kind === "tool" &&
      cutByBound(this.finishReason, open.text.whole(), this.usage?.completion_tokens, this.options.bound);
    const state = responseStatus(cut ? "length" : this.finishReason);
    if (this.current && state.status === "incomplete") this.current.cut = true;
    this.close(out);
    // Held for a text that never came (a call's, the answer's last): the last message's, in the
    // response; its done events have left.
    const last = this.items.findLast((item) => item.kind === "message");
    if (last) last.logprobs.push(...this.heldLogprobs.splice(0));
    if (this.options.compaction) {
      const item = compactionItem(this.summaryText.whole(), this.options.id);
      this.events.emit(out, "response.output_item.added", { output_index: 0, item });
      this.events.emit(out, "response.output_item.done", { output_index: 0, item });
      this.compacted = item;
    }
    // Without the upstream's figures, the estimate it is charged (StreamWriter `finish`), not 0s.
    const usage = estimated ? responsesUsageOf(estimated) : responsesUsage(this.usage);
    const response = this.envelope(state.status, usage, state.incompleteReason);
    // Stored before `response.completed` leaves: a client may chain on it the moment it reads it.
    this.options.onResponse?.(response);
    this.events.emit(out, state.status === "completed" ? "response.completed" : "response.incomplete", {
      response,
    });
    return out;
  }

  /**
   * The Responses `error` event, then `response.failed` with the response so far (its id, its
   * items), numbered in sequence (core/error-wire.ts).
   */
  error(error: GatewayError): SseEvent[] {
    const response = this.envelope("failed", null);
    // Stored as OpenAI keeps a failed response: read back with its error and its output so far.
    this.options.onFailed?.(failedResponse(error, response));
    return this.events.failure(error, response);
  }

  /**
   * A thinking block of a Messages server begins (messages-to-responses-writer.ts): the reasoning
   * item open is done, and the block's text, if any, opens its own. Chat has no such boundary.
   */
  reasoningApart(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.current?.kind === "reasoning") this.close(out);
    return out;
  }

  /** The reasoning item open carries `encrypted` as its `encrypted_content` (its block's signature). */
  reasoningSealed(encrypted: string): void {
    if (this.current?.kind === "reasoning") this.current.encrypted = encrypted;
  }

  /** A chat server's reasoning text as a `reasoning` item with one summary part. */
  private reasoning(delta: string, out: SseEvent[]): void {
    if (this.current?.kind === "tool") this.calls.interrupt();
    if (this.current?.kind !== "reasoning") {
      this.close(out);
      const n = this.count("reasoning");
      const item = this.open("reasoning", reasoningItemId(this.options.id, n), "", {
        name: "",
        custom: false,
      });
      this.events.emit(out, "response.output_item.added", {
        output_index: item.outputIndex,
        item: itemBody(item),
      });
      this.events.emit(out, "response.reasoning_summary_part.added", {
        ...summaryRef(item),
        part: summaryPart(""),
      });
    }
    const item = this.current as OpenItem;
    item.text.add(delta);
    this.events.emit(out, "response.reasoning_summary_text.delta", { ...summaryRef(item), delta });
  }

  /**
   * Logprobs on a chunk of no text (Gemini's of a call's tokens, or of an event that sent them
   * apart): the open message's, on a delta of no text; else held for the next text. A whole answer
   * gives its message every token's (chat-response-to-response.ts), and so does the stream.
   */
  private textless(logprobs: readonly JsonObject[], out: SseEvent[]): void {
    if (this.current?.kind === "message") this.text("", logprobs, out);
    else this.heldLogprobs.push(...logprobs);
  }

  private text(delta: string, given: readonly JsonObject[], out: SseEvent[]): void {
    const logprobs = this.heldLogprobs.length > 0 ? [...this.heldLogprobs.splice(0), ...given] : given;
    const item = this.message("message", out);
    item.text.add(delta);
    if (logprobs.length > 0) item.logprobs.push(...logprobs);
    if (this.options.whole) return;
    // Logprobs as the delta event writes them, counted as gathered (20 alternatives a token
    // outweigh its text many times).
    const written = logprobs.length === 0 ? "[]" : this.gather(JSON.stringify(logprobs));
    out.push(this.events.textDelta(item, delta, written));
  }

  /** A chat server's `refusal`: a message whose one part is the refusal, streamed as OpenAI's is. */
  private refusal(delta: string, out: SseEvent[]): void {
    const item = this.message("refusal", out);
    item.text.add(delta);
    this.events.emit(out, "response.refusal.delta", { ...contentRef(item), delta });
  }

  /** The message item of `kind` open, opened (and its one content part) unless it is. */
  private message(kind: "message" | "refusal", out: SseEvent[]): OpenItem {
    if (this.current?.kind === "tool") this.calls.interrupt();
    if (this.current?.kind === kind) return this.current;
    this.close(out);
    // A refusal is a message too: the two are numbered together.
    const n = this.count("message") + this.count("refusal");
    const item = this.open(kind, messageItemId(this.options.id, n), "", { name: "", custom: false });
    this.events.emit(out, "response.output_item.added", {
      output_index: item.outputIndex,
      item: itemBody(item),
    });
    const part = kind === "refusal" ? refusalPart("") : outputTextPart("");
    this.events.emit(out, "response.content_part.added", { ...contentRef(item), part });
    return item;
  }

  /** Tool-call steps as function call items: each step is for the item open, or opens the next. */
  private tool(steps: ToolCallStep[], out: SseEvent[]): void {
    for (const step of steps) {
      if (step.type === "start") this.startCall(step.id, step.name, out);
      const args = step.type === "start" ? step.arguments : step.fragment;
      const item = this.current;
      if (item?.kind !== "tool") continue;
      item.text.add(args);
      if (args && !item.tool.custom) {
        this.events.emit(out, "response.function_call_arguments.delta", { ...itemRef(item), delta: args });
      }
    }
  }

  private startCall(id: string | undefined, name: string, out: SseEvent[]): void {
    this.close(out);
    const n = this.count("tool");
    const callId = id ?? `call_${crypto.randomUUID().replaceAll("-", "")}`;
    const item = this.open("tool", functionCallItemId(this.options.id, n), callId, this.names.target(name));
    this.events.emit(out, "response.output_item.added", {
      output_index: item.outputIndex,
      item: itemBody(item),
    });
  }

  /** How many items of `kind` the answer has so far: the next one's number (its id's). */
  private count(kind: OpenItem["kind"]): number {
    let n = 0;
    for (const item of this.items) if (item.kind === kind) n++;
    return n;
  }

  private open(kind: OpenItem["kind"], itemId: string, callId: string, tool: ToolTarget): OpenItem {
    const item = {
      kind,
      outputIndex: this.items.length,
      itemId,
      text: new GatheredText(),
      logprobs: [],
      annotations: [],
      callId,
      tool,
      closed: false,
      cut: false,
    };
    this.items.push(item);
    this.current = item;
    return item;
  }

  private close(out: SseEvent[]): void {
    const item = this.current;
    if (!item) return;
    this.current = undefined;
    item.closed = true;
    itemDoneEvents(item, (type, fields) => this.events.emit(out, type, fields));
  }

  private envelope(status: ResponseStatus, usage: JsonObject | null, reason?: string) {
    return responseEnvelope({
      id: this.options.id,
      createdAt: this.createdAt,
      request: this.options.request,
      status,
      // A failed answer lists its open items with what they had (`itemSoFar`).
      output: this.compacted ? [this.compacted] : this.items.map(status === "failed" ? itemSoFar : itemBody),
      usage,
      moderation: this.moderation,
      ...(reason ? { incompleteReason: reason } : {}),
    });
  }
}
