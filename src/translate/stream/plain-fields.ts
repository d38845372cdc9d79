/**
 * The field checks the hand checks of everyday stream events share (plain-chat-chunk.ts,
 * plain-messages-event.ts): each says what the loose zod schema of that field would accept.
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
