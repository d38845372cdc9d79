import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";

/** OpenAI's chat API's range for each sampling setting: a value outside it is its 400. */
const RANGES: readonly (readonly [field: string, least: number, most: number])[] = [
  ["temperature", 0, 2],
  ["top_p", 0, 1],
  ["presence_penalty", -2, 2],
  ["frequency_penalty", -2, 2],
];

/**
 * Refuses a chat request whose sampling settings are outside OpenAI's ranges, in OpenAI's words
 * and codes, as its API does: a translation would otherwise clamp (Claude's `temperature` of at
 * most 1) or drop (Anthropic's penalties) what OpenAI itself refuses, and answer 200.
 */
export function refuseOutOfRange(body: JsonObject): void {
  for (const [field, least, most] of RANGES) {
    const value = body[field];
    if (typeof value !== "number") continue;
    if (value > most) throw outOfRange(field, value, "above maximum", `<= ${most}`);
    if (value < least) throw outOfRange(field, value, "below minimum", `>= ${least}`);
  }
}

const outOfRange = (field: string, value: number, side: "above maximum" | "below minimum", bound: string) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Invalid '${field}': decimal ${side} value. Expected a value ${bound}, but got ${value} instead.`,
    param: field,
    openAICode: side === "above maximum" ? "decimal_above_max_value" : "decimal_below_min_value",
  });
