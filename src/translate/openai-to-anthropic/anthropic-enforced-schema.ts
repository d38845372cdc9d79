import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema";
import { isJsonObject } from "../../core/dialect.ts";

/**
 * A JSON Schema as Anthropic enforces one (`output_config.format.schema`, a `strict` tool's
 * `input_schema`): its structured outputs take a subset of what OpenAI's do, and refuse the rest
 * with a 400 — no `minimum`/`maximum`, `multipleOf`, `minLength`/`maxLength`, `minItems` past 1,
 * string `format`s it does not know, and every object must say `additionalProperties: false`. zod
 * v4 writes `minimum` and `maximum` for a bare `z.number().int()`, so the OpenAI SDK's parse
 * helpers, the AI SDK's `Output.object`, LangChain's `withStructuredOutput` and the Agents SDK's
 * strict tools all send them.
 *
 * Reshaped by Anthropic's own SDK's `transformJSONSchema`, which its parse helpers send: what the
 * subset cannot say moves into the node's `description` (`{minimum: 0, maximum: 150}`), read by
 * the model but not enforced; `oneOf` becomes `anyOf`; every object is closed. A schema it cannot
 * reshape (a node with neither a type nor `anyOf`/`enum`/`const`: `{}`, any value) goes as sent,
 * and Anthropic's refusal says why. Imported with the translation: measured, it adds no idle RSS
 * past the noise (bench/idle-rss.ts, 75.2 MB against 75.0 MB; ±0.5 MB build to build).
 */
export function anthropicEnforcedSchema(schema: unknown): unknown {
  if (!isJsonObject(schema)) return schema;
  try {
    return transformJSONSchema(schema);
  } catch {
    return schema;
  }
}
