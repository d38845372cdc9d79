import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import type { StreamWriter } from "../stream/stream-driver.ts";
import { openAIUsageToAnthropic } from "../usage-mapping.ts";
import { anthropicEvent } from "./anthropic-event.ts";
import { anthropicMessageId } from "./chat-response-to-messages.ts";
import { anthropicStopReason } from "./stop-reason.ts";

type ToolDelta = NonNullable<
  NonNullable<NonNullable<OpenAIChunk["choices"]>[number]["delta"]>["tool_calls"]
>[number];

/** One OpenAI tool-call index; its Anthropic block opens once the name is known. */
interface ToolState {
  id: string | undefined;
  name: string | undefined;
  block: number | undefined;
  /** Argument fragments that arrived before the name (some servers send the name late). */
  pending: string;
}

/** Reasoning text a chat server sent, when it is text (servers differ in the field's shape). */
export const reasoningText = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The state of one translated stream: which Anthropic content block is open, which block each
 * OpenAI tool-call index writes to, and what the final message_delta must report.
 */
export class MessagesStreamWriter implements StreamWriter<OpenAIChunk> {
  private finishReasonSeen = false;
  private messageId = "";
  private nextBlock = 0;
  private open: { block: number; kind: "text" | "tool" | "thinking" } | undefined;
  private readonly tools = new Map<number, ToolState>();
  private finishReason: string | null | undefined;
  private matchedStop: string | number | null | undefined;
  private usage: JsonObject | undefined;

  constructor(private readonly model: string) {}

  get complete(): boolean {
    return this.finishReasonSeen;
  }

  *chunk(chunk: OpenAIChunk): Generator<SseEvent> {
    if (chunk.usage) this.usage = openAIUsageToAnthropic(chunk.usage);
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue; // Anthropic has one answer; extra choices are dropped
      const reasoning = reasoningText(choice.delta?.reasoning_content ?? choice.delta?.reasoning);
      if (reasoning) yield* this.thinking(reasoning);
      const text = choice.delta?.content || choice.delta?.refusal;
      if (text) yield* this.text(text);
      for (const call of choice.delta?.tool_calls ?? []) yield* this.tool(call);
      if (choice.finish_reason) {
        this.finishReasonSeen = true;
        this.finishReason = choice.finish_reason;
        this.matchedStop = choice.stop_reason;
      }
    }
  }

  *finish(): Generator<SseEvent> {
    yield* this.close();
    const stop = anthropicStopReason(this.finishReason, this.matchedStop, this.tools.size > 0);
    const usage = this.usage ?? { output_tokens: 0 };
    yield anthropicEvent({ type: "message_delta", delta: stop, usage });
    yield anthropicEvent({ type: "message_stop" });
  }

  /** Anthropic's `error` event, its type from core/anthropic-errors.ts. */
  error(error: GatewayError): SseEvent {
    return errorEvent(error, "anthropic");
  }

  *start(chunk: OpenAIChunk): Generator<SseEvent> {
    this.messageId = anthropicMessageId(chunk.id);
    const usage = chunk.usage ? openAIUsageToAnthropic(chunk.usage) : { input_tokens: 0 };
    const message = {
      id: this.messageId,
      type: "message",
      role: "assistant",
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 0 },
    };
    yield anthropicEvent({ type: "message_start", message });
    yield anthropicEvent({ type: "ping" });
  }

  /**
   * A chat upstream's reasoning (`reasoning_content`, vLLM/DeepSeek; `reasoning`, others) as a
   * thinking block. It carries no signature: no Anthropic model wrote it, and mindgw drops
   * thinking blocks when the conversation goes back to a chat upstream.
   */
  private *thinking(thinking: string): Generator<SseEvent> {
    if (this.open?.kind !== "thinking") {
      yield* this.close();
      const block = this.nextBlock++;
      this.open = { block, kind: "thinking" };
      yield anthropicEvent({
        type: "content_block_start",
        index: block,
        content_block: { type: "thinking", thinking: "", signature: "" },
      });
    }
    yield this.delta(this.open.block, { type: "thinking_delta", thinking });
  }

  private *text(text: string): Generator<SseEvent> {
    if (this.open?.kind !== "text") {
      yield* this.close();
      const block = this.nextBlock++;
      this.open = { block, kind: "text" };
      yield anthropicEvent({
        type: "content_block_start",
        index: block,
        content_block: { type: "text", text: "" },
      });
    }
    yield this.delta(this.open.block, { type: "text_delta", text });
  }

  private *tool(call: ToolDelta): Generator<SseEvent> {
    let state = this.tools.get(call.index);
    if (!state) {
      state = { id: undefined, name: undefined, block: undefined, pending: "" };
      this.tools.set(call.index, state);
    }
    state.id ??= call.id ?? undefined;
    state.name ??= call.function?.name ?? undefined;
    const args = call.function?.arguments ?? "";
    if (state.block !== undefined) {
      // Interleaved parallel calls are rare; a late fragment still goes to its own block.
      if (args) yield this.delta(state.block, { type: "input_json_delta", partial_json: args });
      return;
    }
    state.pending += args;
    if (!state.name) return;
    yield* this.close();
    const block = this.nextBlock++;
    state.block = block;
    this.open = { block, kind: "tool" };
    const id = state.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`;
    const contentBlock = { type: "tool_use", id, name: state.name, input: {} };
    yield anthropicEvent({ type: "content_block_start", index: block, content_block: contentBlock });
    if (state.pending) yield this.delta(block, { type: "input_json_delta", partial_json: state.pending });
    state.pending = "";
  }

  private *close(): Generator<SseEvent> {
    if (!this.open) return;
    yield anthropicEvent({ type: "content_block_stop", index: this.open.block });
    this.open = undefined;
  }

  private delta(index: number, delta: JsonObject): SseEvent {
    return anthropicEvent({ type: "content_block_delta", index, delta });
  }
}
