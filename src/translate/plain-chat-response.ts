import type { JsonObject } from "../core/dialect.ts";
import { type OpenAIChatResponse, openAIChatResponse } from "./openai-schema.ts";
import { parseBody } from "./parse-body.ts";
import { isFields, plainChatChoice, plainOpenAIUsage } from "./plain-fields.ts";

/**
 * A chat completion of the everyday shape (text or refusal, reasoning of any shape, a finish
 * reason, the usage; no tool calls) checked by hand, else undefined. Only what `openAIChatResponse`
 * would accept unchanged passes (its loose objects keep unknown fields), so the reading is the
 * same; what is saved is zod walking and copying the whole answer of every translated
 * non-stream request (docs/BENCHMARKS-HISTORY.md, session 18).
 */
export function plainChatResponse(body: unknown): OpenAIChatResponse | undefined {
  if (!isFields(body)) return undefined;
  const { id, created, choices, usage } = body;
  if (id !== undefined && typeof id !== "string") return undefined;
  if (created !== undefined && typeof created !== "number") return undefined;
  if (!Array.isArray(choices) || !plainOpenAIUsage(usage)) return undefined;
  for (const choice of choices)
    if (!isFields(choice) || !plainChatChoice(choice, choice.message)) return undefined;
  return body as OpenAIChatResponse;
}

/** An upstream's chat completion as the translators read it: checked by hand, or by zod (502 if unreadable). */
export const readChatResponse = (body: JsonObject): OpenAIChatResponse =>
  plainChatResponse(body) ?? parseBody(openAIChatResponse, body, "upstream");
