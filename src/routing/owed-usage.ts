import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import { parseEventData } from "../translate/parse-body.ts";
import { chatUsageOf } from "../translate/usage-mapping.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** What OpenAI's usage chunk repeats of the stream's other chunks. */
const REPEATED = ["id", "object", "created", "model", "system_fingerprint"] as const;

/**
 * The usage chunk a chat (or completions) caller that asked for one (`UsageSink.usageAsked`) is
 * owed when its upstream sent no usage object (a server that ignores `stream_options`): the
 * `choices: []` chunk OpenAI writes before `[DONE]`, saying `usage`, what the caller is charged
 * (`UsageSink.recordEstimate`). Its id, object, created and model are those of `head`, the data of
 * the stream's finish chunk (of its first chunk when `[DONE]` came without a finish), as bytes
 * decoded only now that a chunk is owed (or a decoded event's data: owed-event-usage.ts); its
 * `object` is `fallbackObject` where the head names none.
 */
export function owedUsageChunk(
  head: Uint8Array | string | undefined,
  usage: Usage,
  fallbackObject: string,
): Uint8Array {
  const parsed = head !== undefined && parseEventData(typeof head === "string" ? head : decoder.decode(head));
  const body = isJsonObject(parsed) ? parsed : undefined;
  const chunk: JsonObject = {};
  for (const field of REPEATED) {
    const value = body?.[field] ?? (field === "object" ? fallbackObject : undefined);
    if (value !== undefined) chunk[field] = value;
  }
  chunk.choices = [];
  chunk.usage = chatUsageOf(usage);
  return encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
}
