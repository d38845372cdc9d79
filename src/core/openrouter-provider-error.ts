import { z } from "zod";

/**
 * OpenRouter's error for a refusal or failure of the provider it routed to: its own words are
 * generic ("Provider returned error", `code` the HTTP status), the provider's are in
 * `metadata.raw` (OpenRouter's error docs), beside `provider_name`: its words as text ("Requested
 * input length 39818 exceeds maximum input length 32767"), or its error body as JSON text
 * (`{"error":{"message":…,"code":"context_length_exceeded"}}`,
 * `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: …"}}`).
 * Relayed again by a gateway in front of OpenRouter, its words may come prefixed ("Error from
 * provider: Provider returned error", as OpenCode Go's answered a Moonshot refusal).
 */
const providerError = z.looseObject({
  message: z.enum(["Provider returned error", "Error from provider: Provider returned error"]),
  metadata: z.looseObject({ raw: z.unknown() }),
});

/** A body whose words are a top-level `message` (vLLM's older errors, many small servers'). */
const topLevelMessage = z.looseObject({ message: z.string() });

/**
 * What OpenRouter's provider said, when `error` (an OpenAI-shaped body's `error`) is OpenRouter's
 * generic one: its words, or its error body for the caller's reader to read (core/openai-errors.ts
 * `readOpenAIError`). Undefined for any other error, and for a `raw` with no words (an HTML page).
 */
export function providerSaid(error: object): string | object | undefined {
  const parsed = providerError.safeParse(error);
  if (!parsed.success) return undefined;
  const { raw } = parsed.data.metadata;
  const body = typeof raw === "string" ? parsedJson(raw) : raw;
  if (typeof body === "object" && body !== null) {
    const top = topLevelMessage.safeParse(body);
    return top.success ? top.data.message : body;
  }
  if (typeof raw !== "string") return undefined;
  const words = raw.trim();
  return words === "" || words.startsWith("<") ? undefined : words;
}

const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
