import type { OpenAIChunk } from "../openai-schema.ts";
import { isFields, isIndex, optionalText } from "./plain-fields.ts";

/** A choice whose delta carries text, reasoning or nothing: no tool calls (those go to zod). */
function plainChoice(choice: unknown): boolean {
  if (!isFields(choice)) return false;
  const { index, delta, finish_reason, stop_reason } = choice;
  if (index !== undefined && !isIndex(index)) return false;
  if (!optionalText(finish_reason)) return false;
  if (!optionalText(stop_reason) && typeof stop_reason !== "number") return false;
  if (delta === undefined || delta === null) return true;
  if (!isFields(delta)) return false;
  return (
    optionalText(delta.content) &&
    optionalText(delta.refusal) &&
    (delta.tool_calls === undefined || delta.tool_calls === null)
  );
}

/**
 * A parsed chunk of the everyday shape (text deltas, a finish reason, no usage and no tool calls)
 * checked by hand, else undefined: the caller then lets `openAIChunk` (zod) judge it. Only a chunk
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
  if (usage !== undefined && usage !== null) return undefined;
  if (choices !== undefined) {
    if (!Array.isArray(choices)) return undefined;
    for (const choice of choices) if (!plainChoice(choice)) return undefined;
  }
  return body as OpenAIChunk;
}
