import { GatewayError } from "./gateway-error.ts";

/** A JSON value's kind as OpenAI's type errors name it ("but got a string instead"). */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal number";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return "an object";
}

/**
 * OpenAI's 400 for a field of the wrong JSON type, in its words and with its code (`invalid_type`),
 * naming the field: "Invalid type for 'store': expected a boolean, but got a string instead."
 */
export const invalidType = (param: string, expected: string, value: unknown) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Invalid type for '${param}': expected ${expected}, but got ${kindOf(value)} instead.`,
    param,
    openAICode: "invalid_type",
  });
