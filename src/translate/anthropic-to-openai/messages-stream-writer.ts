import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import { type GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { anthropicToolId } from "../anthropic-tool-id.ts";
import { cutByBound } from "../cut-tool-call.ts";
import { hasText } from "../has-text.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { jsonObjectOf, parseToolArguments } from "../parse-body.ts";
import {
  type ChoiceParts,
  type ChunkChoice,
  type ChunkToolCall,
  walkChoices,
} from "../stream/chat-choice-walk.ts";
import { gatheredWithin } from "../stream/output-bound.ts";
import type { StreamWriter } from "../stream/stream-translation.ts";
import { ToolCallSequencer, type ToolCallStep } from "../stream/tool-call-sequencer.ts";
import { type ThinkingStep, thinkingStepOf } from "../thinking-blocks.ts";
import { unsignedThinkingBlock } from "../unsigned-thinking-block.ts";
import { chatUsage } from "../usage-mapping.ts";
import { anthropicEvent } from "./anthropic-event.ts";
import { anthropicMessageId } from "./chat-response-to-messages.ts";
import { messagesDeltaUsage, messagesUsage } from "./messages-usage.ts";
import { partialToolInput } from "./partial-tool-input.ts";
import { anthropicStopReason } from "./stop-reason.ts";

/**
 * The state of one translated stream: which Anthropic content block is open, the tool calls in
 * the order their blocks can take (tool-call-sequencer.ts), and what the final message_delta
 * must report.
 */
export class MessagesStreamWriter implements StreamWriter<OpenAIChunk>, ChoiceParts {
  private finishReasonSeen = false;
  private messageId = "";
  private nextBlock = 0;
  private open: { block: number; kind: "text" | "tool" | "thinking" } | undefined;
  /**
   * Whitespace a text block would start with, held until text that is more than whitespace
   * follows: Anthropic refuses a whitespace-only text block when the conversation comes back to
   * it, and chat servers often send "\n\n" before a tool call. Dropped if nothing follows.
   */
  private heldWhitespace = "";
  private readonly tools = new ToolCallSequencer();
  /**
   * The open tool call's argument fragments, held until its block closes: Anthropic's `input` is
   * always a JSON object, and its SDK (which parses the fragments as they come) throws on anything
   * else, losing the answer. A chat server may send arguments that never make one (`{bad json`,
   * `"a string"`, `[1,2]`); they are sent as `{}`, as a whole answer's are (parseToolArguments).
   * A call the output limit cut (`length`) whose fragments start an object is sent as they came,
   * as Anthropic's stream is. Clients take a call as whole at its block's stop anyway. Held within
   * `maxHeld` characters.
   */
  private toolArguments: string[] = [];
  private heldLength = 0;
  private finishReason: string | null | undefined;
  private matchedStop: string | number | null | undefined;
  /** The upstream's own finish reason beside it (`native_finish_reason`), when it said one. */
  private nativeFinish: unknown;
  /** The text came as `refusal` deltas: the model declined (stop-reason.ts). */
  private refused = false;
  private usage: JsonObject | undefined;
  /** The upstream's `completion_tokens`, held to the request's bound (`cutByBound`). */
  private written: number | null | undefined;

  /**
   * `promptTokens`: the prompt's tokens by the gateway's estimate, for `message_start` when the
   * first chunk has no usage (a chat stream's comes with its last).
   */
  /**
   * `maxHeld`: `routing.max_upstream_body`, the most a whole answer may be, and so the most of a
   * tool call's arguments held: past it the stream ends with a 502 (output-bound.ts).
   */
  /**
   * `bound`: the bound on the answer the chat request sent upstream (cut-tool-call.ts
   * `sentBound`): a last call cut by it is told as `max_tokens`, whatever the upstream said.
   */
  constructor(
    private readonly model: string,
    private readonly promptTokens: () => number = () => 0,
    private readonly maxHeld?: number,
    private readonly bound?: number,
  ) {}

  get complete(): boolean {
    return this.finishReasonSeen;
  }

  // Each method writes its events into a list it returns (no generator a chunk, nor one a block
  // kind within it: a translated stream calls `chunk` for every upstream event).

  chunk(chunk: OpenAIChunk): SseEvent[] {
    const out: SseEvent[] = [];
    const step = thinkingStepOf(chunk);
    if (step) this.thinkingStep(step, out);
    if (chunk.usage) {
      this.usage = messagesDeltaUsage(chatUsage(chunk.usage));
      this.written = chunk.usage.completion_tokens;
    }
    walkChoices(chunk, step, this, out);
    return out;
  }

  // The parts of a chunk's answer, as walkChoices reads them (ChoiceParts).

  onReasoning(text: string, out: SseEvent[]): void {
    this.thinking(text, out);
  }

  onContent(text: string, _choice: ChunkChoice, out: SseEvent[]): void {
    this.text(text, out);
  }

  onNoContent(): void {}

  /** A refusal is text of the answer, whose stop_reason says it refused. */
  onRefusal(text: string, out: SseEvent[]): void {
    this.refused = true;
    this.text(text, out);
  }

  onToolCall(call: ChunkToolCall, out: SseEvent[]): void {
    this.tool(this.tools.push(call), out);
  }

  onFinish(choice: ChunkChoice): void {
    this.finishReasonSeen = true;
    this.finishReason = choice.finish_reason;
    this.matchedStop = choice.stop_reason;
    this.nativeFinish = choice.native_finish_reason;
  }

  finish(estimated?: Usage): SseEvent[] {
    const out: SseEvent[] = [];
    this.tool(this.tools.finish(), out);
    // A call whose arguments the stream ended inside, with no finish said (a `length` cut is told
    // as max_tokens), is no finished tool_use: the stream is not whole, and fails as one cut short.
    if (!this.finishReasonSeen && this.open?.kind === "tool" && this.notAnObject(this.toolArguments.join("")))
      throw upstreamError("upstream stream ended inside a tool call's arguments");
    // A call the bound cut, said `tool_calls` (vLLM's): its fragments go as they came, `max_tokens`.
    if (
      this.open?.kind === "tool" &&
      cutByBound(this.finishReason, this.toolArguments.join(""), this.written, this.bound)
    )
      this.finishReason = "length";
    this.close(out);
    const stop = anthropicStopReason({
      finishReason: this.finishReason,
      matchedStop: this.matchedStop,
      nativeFinish: this.nativeFinish,
      hasToolCalls: this.tools.seen,
      refused: this.refused,
    });
    // Without the upstream's figures, the estimate it is charged (StreamWriter `finish`), not 0.
    const usage = estimated ? messagesDeltaUsage(estimated) : (this.usage ?? { output_tokens: 0 });
    out.push(anthropicEvent({ type: "message_delta", delta: stop, usage }));
    out.push(anthropicEvent({ type: "message_stop" }));
    return out;
  }

  /** Anthropic's `error` event, its type from core/anthropic-errors.ts. */
  error(error: GatewayError): SseEvent[] {
    return [errorEvent(error, "anthropic")];
  }

  start(chunk: OpenAIChunk): SseEvent[] {
    this.messageId = anthropicMessageId(chunk.id);
    // Anthropic's own stream states the input in `message_start`, and some clients read it there
    // alone (LangChain's ChatAnthropic): an estimate, not 0, until `message_delta` has the figures;
    // its cache figures too, 0 until known, as Anthropic's are, and the tier the answer runs on
    // (every chunk of OpenAI's says it), where the SDK reads it (its `message_delta` has none).
    const read = chunk.usage ? chatUsage(chunk.usage) : { inputTokens: this.promptTokens(), outputTokens: 0 };
    const usage = messagesUsage(read, chunk.service_tier);
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
    return [anthropicEvent({ type: "message_start", message }), anthropicEvent({ type: "ping" })];
  }

  /**
   * A chat upstream's reasoning (`reasoning_content`, vLLM/DeepSeek; `reasoning`, others) as a
   * thinking block. It carries no signature: no Anthropic model wrote it. When the conversation
   * comes back, a chat upstream that wants its reasoning back gets it as `reasoning_content`
   * (messages-request-to-chat.ts); any other goes without it.
   */
  private thinking(thinking: string, out: SseEvent[]): void {
    const open = this.open;
    if (open?.kind === "tool") this.tools.interrupt();
    const block =
      open?.kind === "thinking" ? open.block : this.openBlock("thinking", unsignedThinkingBlock(""), out);
    out.push(this.delta(block, { type: "thinking_delta", thinking }));
  }

  /**
   * What the chunk's reasoning could not say in chat (thinking-blocks.ts), from a server that
   * answers in blocks (Bedrock Converse): the signature of the thinking block open (one with no
   * text, Claude's thinking left unshown, opened for it), Claude's redacted blocks after it, and
   * whether the chunk's reasoning begins a block of its own. Thinking as Claude streams it, so that
   * Claude Code sends the blocks back as it got them.
   */
  private thinkingStep(step: ThinkingStep, out: SseEvent[]): void {
    if (step.signature !== undefined) {
      const open = this.open;
      if (open?.kind === "tool") this.tools.interrupt();
      const block =
        open?.kind === "thinking" ? open.block : this.openBlock("thinking", unsignedThinkingBlock(""), out);
      out.push(this.delta(block, { type: "signature_delta", signature: step.signature }));
    }
    for (const data of step.redacted ?? []) {
      if (this.open?.kind === "tool") this.tools.interrupt();
      this.openBlock("thinking", { type: "redacted_thinking", data }, out);
      this.close(out);
    }
    if (step.apart && this.open?.kind === "thinking") this.close(out);
  }

  private text(text: string, out: SseEvent[]): void {
    const open = this.open;
    if (open?.kind === "text") {
      out.push(textDelta(open.block, text));
      return;
    }
    if (!hasText(text)) {
      this.heldWhitespace += text;
      return;
    }
    if (open?.kind === "tool") this.tools.interrupt();
    const leading = this.heldWhitespace;
    const block = this.openBlock("text", { type: "text", text: "" }, out);
    out.push(textDelta(block, leading + text));
  }

  /** Tool-call steps as tool_use blocks: each step is for the block open, or opens the next. */
  private tool(steps: ToolCallStep[], out: SseEvent[]): void {
    for (const step of steps) {
      if (step.type === "start") {
        const id =
          step.id === undefined
            ? `toolu_${crypto.randomUUID().replaceAll("-", "")}`
            : anthropicToolId(step.id);
        this.openBlock("tool", { type: "tool_use", id, name: step.name, input: {} }, out);
      }
      const json = step.type === "start" ? step.arguments : step.fragment;
      if (!json) continue;
      this.heldLength = gatheredWithin(this.heldLength, json, this.maxHeld);
      this.toolArguments.push(json);
    }
  }

  /** Closes the open block and starts the next, of `kind`: its index. */
  private openBlock(kind: "text" | "tool" | "thinking", contentBlock: JsonObject, out: SseEvent[]): number {
    this.close(out);
    this.heldWhitespace = ""; // whitespace before another kind of block is nobody's text
    const block = this.nextBlock++;
    this.open = { block, kind };
    out.push(anthropicEvent({ type: "content_block_start", index: block, content_block: contentBlock }));
    return block;
  }

  private close(out: SseEvent[]): void {
    if (!this.open) return;
    if (this.open.kind === "tool") {
      const json = this.toolArguments.join("");
      // Cut by the output limit, the fragments go as they came, as Anthropic's own stream ends a
      // tool_use that max_tokens cut (partial-tool-input.ts); a whole call's as the object they make.
      const partial_json =
        this.finishReason === "length" &&
        jsonObjectOf(json) === undefined &&
        partialToolInput(json) !== undefined
          ? json
          : JSON.stringify(parseToolArguments(json));
      this.toolArguments = [];
      this.heldLength = 0;
      out.push(this.delta(this.open.block, { type: "input_json_delta", partial_json }));
    }
    out.push(anthropicEvent({ type: "content_block_stop", index: this.open.block }));
    this.open = undefined;
  }

  /** Arguments begun and not a JSON object: none at all is a call without any (`{}`). */
  private notAnObject(json: string): boolean {
    return json !== "" && jsonObjectOf(json) === undefined;
  }

  private delta(index: number, delta: JsonObject): SseEvent {
    return anthropicEvent({ type: "content_block_delta", index, delta });
  }
}

/**
 * The everyday event, a text delta, written as its JSON: the bytes `anthropicEvent` would write
 * for the same payload (its keys in the same order), with only the text serialised.
 */
function textDelta(index: number, text: string): SseEvent {
  return {
    event: "content_block_delta",
    data: `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}`,
  };
}
