import { upstreamError } from "../../core/gateway-error.ts";
import { saysError } from "../../core/says-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { answeredModel } from "../answered-model.ts";
import { type OpenAIChunk, openAISchemas } from "../openai-schema.ts";
import { parseEventData, safeParseBody } from "../parse-body.ts";
import { noteThinkingStep, thinkingStepOf } from "../thinking-blocks.ts";
import { usageFromOpenAI } from "../usage-mapping.ts";
import { inBandError } from "./in-band-error.ts";
import { plainChatChunk } from "./plain-chat-chunk.ts";
import type { StreamRead } from "./stream-translation.ts";

/** Reads one `chat.completion.chunk` event: a chunk, `[DONE]`, or the upstream's in-band error. */
export function readChatChunk(event: SseEvent): StreamRead<OpenAIChunk> {
  if (event.data === "[DONE]") return { kind: "end" };
  const body = parseEventData(event.data);
  if (event.event === "error" || saysError(body)) {
    return { kind: "error", error: inBandError("openai", body) };
  }
  // The everyday chunk is checked by hand; zod judges the rest (tool calls, anything odd).
  const chunk = plainChatChunk(body) ?? judged(body);
  // What the chunk's reasoning cannot say (a block's end, its signature), noted by the translation
  // that wrote it (Bedrock Converse's), goes on with the chunk read back (thinking-blocks.ts).
  const step = thinkingStepOf(event);
  if (step) noteThinkingStep(chunk, step);
  const usage = chunk.usage ? usageFromOpenAI(chunk) : undefined;
  // Choices [] as OpenAI sends them, or none at all (null, left out) as some servers do: usage
  // alone, or Azure's prompt filter results. No token of the answer.
  const usageOnly = !chunk.choices?.length;
  // The model the chunk that carries the usage names: read only with it (one chunk a stream).
  if (!usage) return usageOnly ? { kind: "chunk", chunk, usageOnly } : { kind: "chunk", chunk };
  return { kind: "chunk", chunk, usage, model: answeredModel(chunk), ...(usageOnly ? { usageOnly } : {}) };
}

/** zod's reading of a chunk the hand check left. */
function judged(body: unknown): OpenAIChunk {
  const chunk = safeParseBody(openAISchemas().chunk, body);
  if (!chunk.success) throw upstreamError("upstream sent an unreadable stream chunk");
  return chunk.data;
}
