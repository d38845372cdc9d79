import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { parseBody } from "../parse-body.ts";
import { chatRequestToGemini } from "./chat-request-to-gemini.ts";

/** What of a generateContent request Google's countTokens reads: the generation settings do not count. */
const COUNTED = ["contents", "systemInstruction", "tools", "toolConfig"] as const;

function counted(body: JsonObject): JsonObject {
  const request = chatRequestToGemini(body);
  const out: JsonObject = {};
  for (const field of COUNTED) if (request[field] !== undefined) out[field] = request[field];
  return out;
}

/**
 * A count_tokens call (translated to chat) → the Gemini API's `models/{model}:countTokens` body:
 * the generateContent request it would send, whole (system and tools count only that way).
 */
export function chatRequestToGeminiCount(model: string, body: JsonObject): JsonObject {
  return { generateContentRequest: { model: `models/${model}`, ...counted(body) } };
}

/** The same for Vertex AI's `countTokens`, which takes the request's fields at its top level. */
export function chatRequestToVertexCount(body: JsonObject): JsonObject {
  return counted(body);
}

const countTokensResponse = z.looseObject({ totalTokens: z.number().int().nonnegative() });

/** Google's `{totalTokens}` → Anthropic's count_tokens answer. */
export function googleCountToMessages(body: unknown): JsonObject {
  return { input_tokens: parseBody(countTokensResponse, body, "upstream").totalTokens };
}
