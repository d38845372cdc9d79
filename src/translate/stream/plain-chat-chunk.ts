import type { OpenAIChunk } from "../openai-schema.ts";
import { isFields, isIndex, plainChatChoice, plainOpenAIUsage } from "../plain-fields.ts";

/** A choice whose delta (if any) carries text, reasoning or nothing: no tool calls (those go to zod). */
function plainChoice(choice: unknown): boolean {
  if (!isFields(choice)) return false;
  const { index, delta } = choice;
  if (index !== undefined && !isIndex(index)) return false;
  return plainChatChoice(choice, delta ?? {});
}

/**
 * A parsed chunk of the everyday shape (text deltas, a finish reason, the usage; no tool calls)
 * checked by hand, else undefined: the caller then lets `openAISchemas().chunk` (zod) judge it. Only a chunk
 * that schema would accept unchanged passes (its loose objects keep unknown fields), so the
 * answer is the same; what is saved is zod walking and copying every chunk of every translated
 * stream, ~20 % of the gateway's time on the Anthropic front door's stream
 * (docs/BENCHMARKS-HISTORY.md, session 17).
 */
export function plainChatChunk(body: unknown): OpenAIChunk | undefined {
  if (!isFields(body)) return undefined;
  const { id, created, choices, usage } = body;
  if (id !== undefined && typeof id !== "string") return undefined;
  if (created !== undefined && typeof created !== "number") return undefined;
  if (!plainOpenAIUsage(usage)) return undefined;
  if (choices !== undefined && choices !== null) {
    if (!Array.isArray(choices)) return undefined;
    for (const choice of choices) if (!plainChoice(choice)) return undefined;
  }
  return body as OpenAIChunk;
}
