import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import { type GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { ChatChunkBuilder } from "../chat-chunk-builder.ts";
import { parseEventData, safeParseBody } from "../parse-body.ts";
import { ArgumentlessCalls } from "../stream/argumentless-calls.ts";
import type { StreamRead, StreamWriter } from "../stream/stream-translation.ts";
import {
  noteThinkingStep,
  THINKING_SEPARATOR,
  type ThinkingStep,
  thinkingStepOf,
} from "../thinking-blocks.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { type ConverseStreamPayload, type ConverseUsage, converseStreamPayload } from "./converse-schema.ts";
import { failedStop, finishFields, finishReasonOfConverse } from "./converse-stop-reason.ts";
import { converseBilledUsage, converseUsageToOpenAI } from "./converse-usage.ts";

type ConverseReasoningDelta = NonNullable<NonNullable<ConverseStreamPayload["delta"]>["reasoningContent"]>;

/** One decoded ConverseStream event: its `:event-type` header and JSON payload. */
export interface ConverseEvent {
  readonly type: string;
  readonly payload: ConverseStreamPayload;
}

/**
 * Reads one decoded ConverseStream frame (its `:event-type` as the event name, its JSON payload
 * as data). Exception frames never get here: the frame decoder throws them as errors.
 */
export function readConverseEvent(event: SseEvent): StreamRead<ConverseEvent> {
  const payload = safeParseBody(converseStreamPayload, parseEventData(event.data));
  if (!payload.success) throw upstreamError("upstream sent an unreadable stream event");
  const chunk = { type: event.event ?? "", payload: payload.data };
  // The usage (metadata, the last event) is told as it is read, before the stream's end.
  const usage =
    chunk.type === "metadata" && payload.data.usage ? converseBilledUsage(payload.data.usage) : undefined;
  return { kind: "chunk", chunk, usage };
}

/**
 * The state of one ConverseStream translated into chat chunks: which content block is which
 * tool call, the stop reason (messageStop) and the usage (metadata, which comes after it).
 * `finish` emits the closing chunks once the stream is over.
 *
 * Reasoning (`reasoningContent` deltas: DeepSeek-R1's, gpt-oss's, Claude's when it thinks) is
 * `reasoning_content`, as a chat server streams it. What chat cannot say of it is noted beside the
 * chunks (thinking-blocks.ts `ThinkingStep`), for a translation on to Messages or Responses: where
 * a block begins after another (`apart`), a block's signature, and a redacted block. A signature
 * or a redacted block writes no chunk of its own: a chat caller has no field for either. It is
 * noted on the next chunk the stream writes, the finish's at the latest.
 */
export class ConverseChunkWriter implements StreamWriter<ConverseEvent> {
  /** Bedrock's event stream ends with its body: its answer is whole at `messageStop`. */
  readonly noEndMarker = true;
  private readonly chunks: ChatChunkBuilder;
  private readonly toolIndexOfBlock = new Map<number, number>();
  private readonly argumentless = new ArgumentlessCalls();
  private stopReason: string | undefined;
  /** What the model said beside the stop reason (messageStop's `additionalModelResponseFields`). */
  private additional: unknown;
  private usage: ConverseUsage = {};
  /** Whether the turn wrote text or a tool call: a stopReason the gateway does not know fails only a turn that wrote none. */
  private produced = false;
  /** The content block the last reasoning came in: reasoning of another block begins a block of its own. */
  private reasoningBlock: number | undefined;
  /** A signature or redacted blocks said since the last chunk, for the next one (`noted`). */
  private pending: { signature?: string; redacted?: string[] } | undefined;

  constructor(
    id: string,
    model: string,
    includeUsage: boolean,
    private readonly unknown?: UnknownFinish,
  ) {
    this.chunks = new ChatChunkBuilder(id, model, includeUsage);
  }

  /** Nothing before the first event: `messageStart` itself becomes the role chunk. */
  start(): Iterable<SseEvent> {
    return [];
  }

  error(error: GatewayError): SseEvent[] {
    return [errorEvent(error, "openai")];
  }

  chunk({ type, payload }: ConverseEvent): SseEvent[] {
    const block = payload.contentBlockIndex ?? 0;
    switch (type) {
      case "messageStart":
        return [this.chunks.delta({ role: "assistant", content: "", refusal: null })];
      case "contentBlockStart": {
        const tool = payload.start?.toolUse;
        if (!tool) return [];
        const index = this.toolIndexOfBlock.size;
        this.produced = true;
        this.toolIndexOfBlock.set(block, index);
        this.argumentless.opened(index);
        const call = {
          index,
          id: tool.toolUseId,
          type: "function",
          function: { name: tool.name, arguments: "" },
        };
        return this.noted([this.chunks.delta({ tool_calls: [call] })]);
      }
      case "contentBlockDelta": {
        const delta = payload.delta;
        const out: SseEvent[] = [];
        if (delta?.reasoningContent) this.reasoning(block, delta.reasoningContent, out);
        if (delta?.text) {
          this.produced = true;
          out.push(this.chunks.delta({ content: delta.text }));
        }
        const index = this.toolIndexOfBlock.get(block);
        if (delta?.toolUse?.input && index !== undefined) {
          this.argumentless.argued(index);
          out.push(
            this.chunks.delta({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] }),
          );
        }
        return this.noted(out);
      }
      case "messageStop":
        this.stopReason = payload.stopReason;
        this.additional = payload.additionalModelResponseFields;
        return [];
      case "metadata":
        if (payload.usage) this.usage = payload.usage;
        this.throwIfFailed(); // with what the turn used, which this event tells
        return [];
      case "contentBlockStop": {
        const empty = this.argumentless.ended(this.toolIndexOfBlock.get(block));
        return empty ? this.noted([this.chunks.delta(empty)]) : [];
      }
      default:
        return [];
    }
  }

  /**
   * One `reasoningContent` delta: its text as `reasoning_content` (a block of its own when it
   * follows another block's reasoning, after the blank line a whole answer joins two blocks with);
   * its signature, or a redacted block's data, held for the next chunk (`noted`).
   */
  private reasoning(block: number, reasoning: ConverseReasoningDelta, out: SseEvent[]): void {
    const apart = this.reasoningBlock !== undefined && this.reasoningBlock !== block;
    if (reasoning.text) {
      const text = apart ? THINKING_SEPARATOR + reasoning.text : reasoning.text;
      const chunk = this.chunks.delta({ reasoning_content: text });
      if (apart) noteThinkingStep(chunk, { ...this.takePending(), apart: true });
      out.push(chunk);
      this.reasoningBlock = block;
    }
    if (reasoning.signature) this.pending = { ...this.pending, signature: reasoning.signature };
    if (reasoning.redactedContent) {
      const redacted = [...(this.pending?.redacted ?? []), reasoning.redactedContent];
      this.pending = { ...this.pending, redacted };
      this.reasoningBlock = block;
    }
  }

  /** What is held for the next chunk, taken. */
  private takePending(): ThinkingStep {
    const pending = this.pending ?? {};
    this.pending = undefined;
    return pending;
  }

  /** `out`, its first chunk noted with the signature or redacted blocks held, if any (and not noted yet). */
  private noted(out: SseEvent[]): SseEvent[] {
    const first = out[0];
    if (this.pending && first && !thinkingStepOf(first)) noteThinkingStep(first, this.takePending());
    return out;
  }

  /**
   * A stopReason that ends the turn in failure (`failedStop`) is thrown, never closed as an
   * answer: before the answer's first event (a turn that wrote nothing) the router may still retry
   * or fail over; after it the caller gets the error event.
   */
  private throwIfFailed(): void {
    const failed = failedStop(this.stopReason, { produced: this.produced }, this.usage, this.unknown);
    if (failed) throw failed;
  }

  /** True once messageStop arrived: the answer is complete even if metadata never comes. */
  get complete(): boolean {
    return this.stopReason !== undefined;
  }

  finish(): SseEvent[] {
    this.throwIfFailed(); // metadata never came
    const reason = finishReasonOfConverse(this.stopReason, this.toolIndexOfBlock.size > 0);
    const fields = finishFields(this.stopReason, this.additional);
    return this.noted(
      this.chunks.closing(
        [{ index: 0, reason, ...(fields ? { fields } : {}) }],
        converseUsageToOpenAI(this.usage) as JsonObject,
      ),
    );
  }
}
