import { GatewayError } from "./gateway-error.ts";
import { invalidType } from "./invalid-type.ts";

/** OpenAI's limits on `metadata`: 16 pairs, keys of 64 characters, values of 512. */
const MOST_PAIRS = 16;
const LONGEST_KEY = 64;
const LONGEST_VALUE = 512;

/**
 * The limits as JSON Schema, for the OpenAPI document's Responses body: an object's pairs, names
 * and values (code points, as `maxLength` counts them); anything else is not this check's to judge.
 */
export const METADATA_JSON_SCHEMA = {
  maxProperties: MOST_PAIRS,
  propertyNames: { maxLength: LONGEST_KEY },
  additionalProperties: { type: "string", maxLength: LONGEST_VALUE },
} as const;

const tooLong = (param: string, openAICode: string, message: string) =>
  new GatewayError({ status: 400, code: "invalid_request", message, param, openAICode });

/** A string's length as OpenAI counts it: in characters (code points), not UTF-16 units. */
const lengthOf = (text: string) => Array.from(text).length;

/**
 * Refuses a Responses request's `metadata` past OpenAI's limits, in its words and with its codes,
 * on every route: a translated one would otherwise store and echo what OpenAI never takes. A
 * `metadata` that is no object is left to the request's own reading (null is unset).
 */
export function refuseBadMetadata(request: { readonly metadata?: unknown }): void {
  const { metadata } = request;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return;
  const pairs = Object.entries(metadata);
  if (pairs.length > MOST_PAIRS)
    throw tooLong(
      "metadata",
      "object_above_max_properties",
      `Invalid 'metadata': too many properties. Expected an object with at most ${MOST_PAIRS} properties, but got an object with ${pairs.length} properties instead.`,
    );
  for (const [key, value] of pairs) {
    const param = `metadata.${key}`;
    if (lengthOf(key) > LONGEST_KEY)
      throw tooLong(
        param,
        "property_name_above_max_length",
        `Invalid property name in 'metadata': '${key}' is too long. Expected a string with maximum length ${LONGEST_KEY}, but got a string with length ${lengthOf(key)} instead.`,
      );
    if (typeof value !== "string") throw invalidType(param, "a string", value);
    if (lengthOf(value) > LONGEST_VALUE)
      throw tooLong(
        param,
        "string_above_max_length",
        `Invalid '${param}': string too long. Expected a string with maximum length ${LONGEST_VALUE}, but got a string with length ${lengthOf(value)} instead.`,
      );
  }
}
