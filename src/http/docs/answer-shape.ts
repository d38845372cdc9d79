import type { JsonSchema } from "./json-schema.ts";

/** An answer the OpenAPI document describes: its schema (in `components.schemas`) and the example its operations show. */
export interface Answer {
  schema: JsonSchema;
  example: unknown;
}

/** A loose object of `required` fields (the rest of a dialect's answer is allowed as it comes). */
export const answer = (
  description: string,
  properties: Record<string, JsonSchema>,
  required = Object.keys(properties),
) => ({
  type: "object",
  description,
  properties,
  required,
});
export const text = { type: "string" };
export const count = { type: "integer", minimum: 0 };
export const nullable = (type: string) => ({ type: [type, "null"] });
