import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * Whether OpenAI's strict mode takes `schema` as it is: its root an object, not an `anyOf` (OpenAI
 * refuses "schema must be a JSON Schema of 'type: "object"'"), and every object closed
 * (`additionalProperties: false`) and listing each of its properties in `required`, all the way
 * down. OpenAI refuses a strict schema that is not (400 "'required' is required to be supplied and
 * to be an array including every key in properties"), where Anthropic, which enforces the same
 * schema, takes a property left out of `required` as optional: zod's `.optional()`, which the AI
 * SDK's `Output.object` and Anthropic's own parse helpers send. Such a schema goes to OpenAI
 * without `strict`: followed, not enforced.
 */
export function fitsOpenAIStrict(schema: unknown): boolean {
  return isJsonObject(schema) && schema.type === "object" && schema.anyOf === undefined && fits(schema);
}

function fits(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(fits);
  if (!isJsonObject(schema)) return true;
  if (isObjectSchema(schema) && !closedAndRequired(schema)) return false;
  return SUBSCHEMAS.every((key) => fitsAll(schema[key], key));
}

/** Where a schema holds other schemas: one (`items`, `not`), a list (`anyOf`), or a map (`properties`). */
const SUBSCHEMAS = ["properties", "$defs", "definitions", "items", "anyOf", "oneOf", "allOf"] as const;
const MAPS: ReadonlySet<string> = new Set(["properties", "$defs", "definitions"]);

function fitsAll(held: unknown, key: string): boolean {
  if (held === undefined) return true;
  if (MAPS.has(key)) return !isJsonObject(held) || Object.values(held).every(fits);
  return fits(held);
}

const isObjectSchema = (schema: JsonObject): boolean =>
  schema.type === "object" ||
  (Array.isArray(schema.type) && schema.type.includes("object")) ||
  isJsonObject(schema.properties);

function closedAndRequired(schema: JsonObject): boolean {
  if (schema.additionalProperties !== false) return false;
  const properties = isJsonObject(schema.properties) ? Object.keys(schema.properties) : [];
  // A set, not a list searched for each property: 100,000 properties in a 3.5 MB body held the
  // event loop for seconds, a list's search taking time in proportion to the product of the two.
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return properties.every((name) => required.has(name));
}
