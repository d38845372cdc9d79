import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import { type GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { ChatChunkBuilder } from "../chat-chunk-builder.ts";
import { parseEventData, safeParseBody } from "../parse-body.ts";
import { ArgumentlessCalls } from "../stream/argumentless-calls.ts";
import type { StreamRead, StreamWriter } from "../stream/stream-translation.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { type ConverseStreamPayload, type ConverseUsage, converseStreamPayload } from "./converse-schema.ts";
import { failedStop, finishReasonOfConverse } from "./converse-stop-reason.ts";
import { converseBilledUsage, converseUsageToOpenAI } from "./converse-usage.ts";

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
 */
export class ConverseChunkWriter implements StreamWriter<ConverseEvent> {
  private readonly chunks: ChatChunkBuilder;
  private readonly toolIndexOfBlock = new Map<number, number>();
  private readonly argumentless = new ArgumentlessCalls();
  private stopReason: string | undefined;
  private usage: ConverseUsage = {};
  /** Whether the turn wrote text or a tool call: a stopReason the gateway does not know fails only a turn that wrote none. */
  private produced = false;

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
        return [this.chunks.delta({ tool_calls: [call] })];
      }
      case "contentBlockDelta": {
        const delta = payload.delta;
        const out: SseEvent[] = [];
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
        return out; // reasoning deltas have no chat-completions form
      }
      case "messageStop":
        this.stopReason = payload.stopReason;
        return [];
      case "metadata":
        if (payload.usage) this.usage = payload.usage;
        this.throwIfFailed(); // with what the turn used, which this event tells
        return [];
      case "contentBlockStop": {
        const empty = this.argumentless.ended(this.toolIndexOfBlock.get(block));
        return empty ? [this.chunks.delta(empty)] : [];
      }
      default:
        return [];
    }
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
    return this.chunks.closing(
      finishReasonOfConverse(this.stopReason, this.toolIndexOfBlock.size > 0),
      converseUsageToOpenAI(this.usage) as JsonObject,
    );
  }
}
