import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { AnthropicStreamEvent, AnthropicUsage } from "../anthropic-schema.ts";
import { ChatChunkBuilder } from "../chat-chunk-builder.ts";
import { ArgumentlessCalls } from "../stream/argumentless-calls.ts";
import type { StreamWriter } from "../stream/stream-translation.ts";
import { THINKING_SEPARATOR } from "../thinking-blocks.ts";
import { anthropicUsageToOpenAI } from "../usage-mapping.ts";
import { openAIFinishReason, refusalExplanation } from "./finish-reason.ts";
import { chatCompletionId, type MessagesToChatOptions } from "./messages-response-to-chat.ts";
import { StreamedCitations } from "./streamed-citations.ts";

/** How a Messages stream becomes chat chunks: `messagesResponseToChat`'s options, and usage. */
export interface ChatChunkWriterOptions extends MessagesToChatOptions {
  /** The caller's `stream_options.include_usage`: add the final `choices: []` usage chunk. */
  includeUsage: boolean;
  /**
   * Each thinking block's text as it came, no blank line between two: the writer the chunks go on
   * to keeps the blocks apart itself (messages-to-responses-writer.ts: a reasoning item each).
   */
  thinkingApart?: boolean;
}

/**
 * The state of one translated stream: the completion id, which Anthropic block index maps to
 * which OpenAI tool-call index, and the usage the last chunk must report. Thinking deltas become
 * `reasoning_content` deltas when the upstream takes its thinking back (`thinkingBack`, as
 * messages-response-to-chat.ts says why), a block after another set off by a blank line, as the
 * whole answer joins them; else nothing. Signature deltas have no chat form. A refusal's
 * explanation is one `delta.refusal` before the finish (finish-reason.ts). Web search citations are
 * one `delta.annotations` after the text, before the finish, as OpenAI's search models stream them.
 */
export class ChatChunkWriter implements StreamWriter<AnthropicStreamEvent> {
  private chunks: ChatChunkBuilder | undefined;
  private stopped = false;
  private readonly toolIndexOfBlock = new Map<number, number>();
  private readonly argumentless = new ArgumentlessCalls();
  private usage: AnthropicUsage = {};
  private stopReason: string | null | undefined;
  /** Why Claude refused, from `message_delta`'s `stop_details`: said before the finish. */
  private refusal: string | undefined;
  private readonly includeUsage: boolean;
  private readonly created: number;
  private readonly thinkingBack: boolean;
  private readonly thinkingApart: boolean;
  /** Reasoning was said: a later thinking block's first text is set off from it. */
  private reasoned = false;
  /** What the open thinking block's first text is preceded by ("" once said, or for the first). */
  private separator = "";
  /** The UTF-16 length of the content said so far, which annotations index. */
  private contentLength = 0;
  private readonly citations = new StreamedCitations();

  constructor(
    private readonly model: string,
    {
      includeUsage,
      created = Math.floor(Date.now() / 1000),
      thinkingBack = false,
      thinkingApart = false,
    }: ChatChunkWriterOptions,
  ) {
    this.includeUsage = includeUsage;
    this.created = created;
    this.thinkingBack = thinkingBack;
    this.thinkingApart = thinkingApart;
  }

  /** Whole once `message_delta` gave the stop reason, as an OpenAI stream is at its finish reason. */
  get complete(): boolean {
    return this.stopped || this.stopReason != null;
  }

  /** Nothing to say before the first event: `message_start` itself becomes the role chunk. */
  start(): Iterable<SseEvent> {
    return [];
  }

  /** `[DONE]`, after the finish chunks when the upstream ended without `message_stop`. */
  finish(): SseEvent[] {
    const out: SseEvent[] = [];
    for (const body of this.closing()) out.push({ data: JSON.stringify(body) });
    out.push({ data: "[DONE]" });
    return out;
  }

  /**
   * The finish chunk and the usage chunk, once: at `message_stop`, or at the stream's end when
   * the upstream sent its stop reason but not `message_stop`.
   */
  *closing(): Generator<JsonObject> {
    if (this.stopReason != null) yield* this.ending();
  }

  /**
   * The refusal's explanation (one `delta.refusal`), the finish chunk and the usage chunk, once; a
   * list, not a generator of its own, as `message_stop` is an event of every stream (`bodies`).
   */
  private ending(): JsonObject[] {
    if (this.stopped) return [];
    this.stopped = true;
    const { annotations } = this.citations;
    const out = annotations.length > 0 ? [this.choice({ annotations })] : [];
    if (this.refusal !== undefined) out.push(this.choice({ refusal: this.refusal }));
    out.push(this.choice({}, openAIFinishReason(this.stopReason)));
    out.push(...this.builder().usageBodies(anthropicUsageToOpenAI(this.usage)));
    return out;
  }

  /** OpenAI's in-stream `{"error":…}` chunk, its type and code from core/openai-errors.ts. */
  error(error: GatewayError): SseEvent[] {
    return [errorEvent(error, "openai")];
  }

  /** The chunks one event becomes, as a list (no generator an event on top of `bodies`'). */
  chunk(event: AnthropicStreamEvent): SseEvent[] {
    const out: SseEvent[] = [];
    for (const body of this.bodies(event)) out.push({ data: JSON.stringify(body) });
    return out;
  }

  /**
   * The chat chunks one Anthropic event becomes, as objects: a writer that goes on to another
   * dialect (Responses) takes them as they are, without a JSON round trip.
   */
  *bodies(event: AnthropicStreamEvent): Generator<JsonObject> {
    switch (event.type) {
      case "message_start":
        this.chunks = new ChatChunkBuilder(
          chatCompletionId(event.message.id),
          this.model,
          this.includeUsage,
          this.created,
        );
        this.usage = { ...event.message.usage };
        yield this.choice({ role: "assistant", content: "", refusal: null });
        return;
      case "content_block_start": {
        const block = event.content_block;
        if (block.type === "tool_use" && "id" in block && "name" in block) {
          const index = this.toolIndexOfBlock.size;
          this.toolIndexOfBlock.set(event.index, index);
          this.argumentless.opened(index);
          const call = {
            index,
            id: block.id,
            type: "function",
            function: { name: block.name, arguments: "" },
          };
          yield this.choice({ tool_calls: [call] });
        } else if (block.type === "text") {
          this.citations.opened(event.index, this.contentLength);
          if (typeof block.text === "string" && block.text !== "") yield this.content(block.text);
        } else if (block.type === "thinking" && this.thinkingBack) {
          this.separator = this.reasoned && !this.thinkingApart ? THINKING_SEPARATOR : "";
          const reasoning = this.reasoning(block.thinking);
          if (reasoning) yield reasoning;
        }
        return;
      }
      case "content_block_delta": {
        const { delta } = event;
        if (delta.type === "text_delta" && delta.text) yield this.content(delta.text);
        if (delta.type === "citations_delta") this.citations.cited(event.index, delta.citation);
        // The flag first, no call: Claude Code's thinking is hundreds of deltas an answer, none said.
        if (delta.type === "thinking_delta" && this.thinkingBack) {
          const reasoning = this.reasoning(delta.thinking);
          if (reasoning) yield reasoning;
        }
        const index = this.toolIndexOfBlock.get(event.index);
        if (delta.type === "input_json_delta" && delta.partial_json && index !== undefined) {
          this.argumentless.argued(index);
          yield this.choice({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] });
        }
        return; // signature deltas have no chat-completions form
      }
      case "content_block_stop": {
        this.citations.closed(event.index, this.contentLength);
        const empty = this.argumentless.ended(this.toolIndexOfBlock.get(event.index));
        if (empty) yield this.choice(empty);
        return;
      }
      case "message_delta":
        this.stopReason = event.delta.stop_reason;
        this.refusal = refusalExplanation(event.delta.stop_reason, event.delta.stop_details);
        // message_delta usage is cumulative; fields it omits keep their message_start value.
        for (const [key, value] of Object.entries(event.usage ?? {}))
          if (value != null) this.usage[key] = value;
        return;
      case "message_stop":
        yield* this.ending();
        return;
      default:
        return; // ping
    }
  }

  /** Thinking text as a `reasoning_content` delta, its block's separator first; none for an empty one. */
  private reasoning(thinking: unknown): JsonObject | undefined {
    if (typeof thinking !== "string" || thinking === "") return undefined;
    const said = this.separator + thinking;
    this.separator = "";
    this.reasoned = true;
    return this.choice({ reasoning_content: said });
  }

  /** Text of the answer's content, counted where annotations index it. */
  private content(text: string): JsonObject {
    this.contentLength += text.length;
    return this.choice({ content: text });
  }

  private choice(delta: JsonObject, finishReason: string | null = null): JsonObject {
    return this.builder().deltaBody(delta, finishReason);
  }

  /** The stream's chunk builder; `message_start` names the stream, which always comes first. */
  private builder(): ChatChunkBuilder {
    this.chunks ??= new ChatChunkBuilder("", this.model, this.includeUsage, this.created);
    return this.chunks;
  }
}
