/**
 * The field checks the hand checks of everyday stream events share (stream/plain-chat-chunk.ts,
 * stream/plain-messages-event.ts): each says what the loose zod schema of that field would accept.
 * Whole bodies (requests, answers) are judged by accepts-unchanged.ts instead, once a request; an
 * event's hand check is faster still, and runs ~26 times a stream. One difference is let stand:
 * an object with an own `__proto__` field (JSON.parse makes one of `"__proto__": …`) passes as it
 * is where zod's copy leaves that field out; the stream writers take only the fields they name, so
 * it goes nowhere (a body, which is passed on, is zod's then: accepts-unchanged.ts).
 */
export type Fields = Record<string, unknown>;

/** A JSON object (zod's object schemas refuse arrays and null). */
export const isFields = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `z.string().nullish()`. */
export const optionalText = (value: unknown) =>
  value === undefined || value === null || typeof value === "string";

/** `z.number().nullish()` (zod's number refuses the infinities, which JSON cannot carry anyway). */
export const optionalNumber = (value: unknown) =>
  value === undefined || value === null || (typeof value === "number" && Number.isFinite(value));

/** `z.number().int()`: zod 4's integers stop at the safe ones. */
export const isIndex = (value: unknown) => Number.isSafeInteger(value);

/** `openAISchemas().usage.nullish()`: token counts that are numbers or null, cached tokens likewise. */
export function plainOpenAIUsage(usage: unknown): boolean {
  if (usage === undefined || usage === null) return true;
  if (!isFields(usage) || !optionalNumber(usage.prompt_tokens) || !optionalNumber(usage.completion_tokens))
    return false;
  const details = usage.prompt_tokens_details;
  return (
    details === undefined || details === null || (isFields(details) && optionalNumber(details.cached_tokens))
  );
}

/** `anthropicSchemas().usage.optional()`: absent, or an object whose token counts are numbers or null. */
export const plainAnthropicUsage = (usage: unknown) =>
  usage === undefined ||
  (isFields(usage) &&
    optionalNumber(usage.input_tokens) &&
    optionalNumber(usage.output_tokens) &&
    optionalNumber(usage.cache_creation_input_tokens) &&
    optionalNumber(usage.cache_read_input_tokens));

/**
 * A chat choice's end (`finish_reason`, and vLLM's `stop_reason`, a string or a number) and its
 * message or delta, when that carries text, reasoning or nothing: no tool calls (zod reads those).
 */
export const plainChatChoice = (choice: Fields, message: unknown) =>
  optionalText(choice.finish_reason) &&
  (optionalText(choice.stop_reason) || typeof choice.stop_reason === "number") &&
  isFields(message) &&
  optionalText(message.content) &&
  optionalText(message.refusal) &&
  (message.tool_calls === undefined || message.tool_calls === null);
