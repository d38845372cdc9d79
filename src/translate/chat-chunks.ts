import { upstreamError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { type OpenAIChunk, openAIChunk, openAIErrorBody } from "./openai-schema.ts";
import { parseEventData } from "./parse-body.ts";

/** One item of an OpenAI chat stream: a parsed chunk, or the upstream's in-band error. */
export type ChatStreamItem = { kind: "chunk"; chunk: OpenAIChunk } | { kind: "error"; message: string };

/**
 * Reads `chat.completion.chunk` events as the translators out of the OpenAI dialect need
 * them: stops at `[DONE]`, ends with an `error` item when the upstream reports one, and
 * throws a retryable upstream error on a chunk it cannot read.
 */
export async function* chatChunks(events: AsyncIterable<SseEvent>): AsyncGenerator<ChatStreamItem> {
  for await (const event of events) {
    if (event.data === "[DONE]") return;
    const body = parseEventData(event.data);
    const failure = openAIErrorBody.safeParse(body);
    if (failure.success || event.event === "error") {
      yield { kind: "error", message: failure.data?.error.message ?? "upstream reported an error" };
      return;
    }
    const chunk = openAIChunk.safeParse(body);
    if (!chunk.success) throw upstreamError("upstream sent an unreadable stream chunk");
    yield { kind: "chunk", chunk: chunk.data };
  }
}
