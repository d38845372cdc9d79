import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema";
import { isJsonObject } from "../../core/dialect.ts";
import { RecentSchemas } from "./recent-schemas.ts";
import { SchemaSetAside } from "./schema-set-aside.ts";

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
 * the model but not enforced; `oneOf` becomes `anyOf`; every object is closed. What it would get
 * wrong is set aside first (schema-set-aside.ts): `definitions`, records and objects without
 * properties, type lists, a `$ref`'s siblings. A schema it cannot reshape (a node with neither a
 * type nor `anyOf`/`enum`/`const`: `{}`, any value) goes as sent, and Anthropic's refusal says
 * why. Imported with the translation: measured, it adds no idle RSS past the noise
 * (bench/idle-rss.ts, 75.2 MB against 75.0 MB; ±0.5 MB build to build). Kept by the schema's text
 * (recent-schemas.ts): the result is shared, never to be changed; one sent as it came is not kept.
 */
export function anthropicEnforcedSchema(schema: unknown): unknown {
  if (!isJsonObject(schema)) return schema;
  try {
    return recent.get(schema);
  } catch (error) {
    // A schema nested past the stack (its text cannot even be written): sent as it came.
    if (error instanceof RangeError) return schema;
    throw error;
  }
}

const recent = new RecentSchemas(reshaped);

function reshaped(schema: Record<string, unknown>): unknown {
  // The transform builds its maps on plain objects, where a key `__proto__` (a `$defs` entry, a
  // property so named) sets the map's prototype instead of an entry: the entry would be lost and a
  // `$ref` to it left dangling. Such a schema goes as it came.
  if (namesProto(schema)) return schema;
  const aside = new SchemaSetAside();
  try {
    return aside.restored(transformJSONSchema(aside.prepared(schema)));
  } catch (error) {
    // Its one refusal (a node of no type), or a schema nested past the stack: sent as it came
    // (so not kept: it is this request's object), for Anthropic to refuse. Anything else is a
    // fault of ours, not to be hidden.
    if (error instanceof RangeError || (error instanceof Error && error.message.startsWith(UNTYPED)))
      return schema;
    throw error;
  }
}

/** How `transformJSONSchema` refuses a node it cannot reshape (`{}`, a property of any type). */
const UNTYPED = "JSON schema must have a type defined";

/** Whether any object within `value` has an own key `__proto__` (as `JSON.parse` makes one). */
function namesProto(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(namesProto);
  if (!isJsonObject(value)) return false;
  if (Object.hasOwn(value, "__proto__")) return true;
  return Object.values(value).some(namesProto);
}
