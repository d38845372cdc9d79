import type { JsonObject } from "../../core/dialect.ts";
import { upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { ChatChunkBuilder } from "../chat-chunk-builder.ts";
import type { ChunkWriter } from "../drive-chunk-writer.ts";
import { parseEventData } from "../parse-body.ts";
import { toolCallOf } from "./gemini-response-to-chat.ts";
import { type GeminiUsage, geminiResponse } from "./gemini-schema.ts";
import { finishReasonOfGemini, geminiUsageToOpenAI } from "./gemini-usage.ts";

/**
 * The state of one `streamGenerateContent?alt=sse` stream translated into chat chunks. Every
 * Gemini event is a partial response: text parts are deltas, a function call arrives whole,
 * `finishReason` marks the end and `usageMetadata` (latest wins) the tokens.
 */
export class GeminiChunkWriter implements ChunkWriter<SseEvent> {
  private readonly chunks: ChatChunkBuilder;
  private started = false;
  private toolCalls = 0;
  private finishReason: string | undefined;
  private usage: GeminiUsage = {};

  constructor(id: string, model: string, includeUsage: boolean) {
    this.chunks = new ChatChunkBuilder(id, model, includeUsage);
  }

  *event(event: SseEvent): Generator<SseEvent> {
    const parsed = geminiResponse.safeParse(parseEventData(event.data));
    if (!parsed.success) throw upstreamError("upstream sent an unreadable stream event");
    const response = parsed.data;
    if (!this.started) {
      this.started = true;
      yield this.chunks.delta({ role: "assistant", content: "", refusal: null });
    }
    if (response.usageMetadata) this.usage = response.usageMetadata;
    if (!response.candidates?.length && response.promptFeedback?.blockReason) this.finishReason = "SAFETY";
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.text && !part.thought) yield this.chunks.delta({ content: part.text });
      if (part.functionCall) {
        const index = this.toolCalls++;
        yield this.chunks.delta({ tool_calls: [{ index, ...toolCallOf(part.functionCall, index) }] });
      }
    }
    if (candidate?.finishReason) this.finishReason = candidate.finishReason;
  }

  get stopped(): boolean {
    return this.finishReason !== undefined;
  }

  *finish(): Generator<SseEvent> {
    yield this.chunks.delta({}, finishReasonOfGemini(this.finishReason, this.toolCalls > 0));
    yield* this.chunks.usage(geminiUsageToOpenAI(this.usage) as JsonObject);
    yield { data: "[DONE]" };
  }
}
