import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

// Readers of parsed JSON the gateway did not validate (a captured answer, a request body read
// again): each takes what it finds and never throws on a shape it does not know.

/** The objects among `value`'s items; none when it is not an array. */
export const objectsOf = (value: unknown): JsonObject[] =>
  Array.isArray(value) ? value.filter(isJsonObject) : [];

/** `value` when it is a string, else `""`. */
export const textOf = (value: unknown): string => (typeof value === "string" ? value : "");

/** `value` when it is a string, else null. */
export const textOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** A tool call's arguments as JSON text (OpenAI's shape), parsed; the text itself when it is not JSON. */
export function parsedArguments(raw: unknown): unknown {
  if (typeof raw !== "string") return raw ?? null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
