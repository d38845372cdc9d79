import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/** Deeper than this, a (recursive) schema gets `null`: an answer, not a hang. */
const MAX_DEPTH = 32;

/** A valid sample for each string `format` a structured output may ask for. */
const FORMATTED: Readonly<Record<string, string>> = {
  "date-time": "2025-01-01T00:00:00Z",
  date: "2025-01-01",
  time: "00:00:00Z",
  email: "mock@example.com",
  uri: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
};

/**
 * The smallest value valid against `schema` for the JSON Schema keywords structured outputs use
 * (what OpenAI's strict mode and the SDKs' zod helpers write): `type` (or a list of them),
 * `const`, `enum`, `properties` with `required`, `items`/`prefixItems` with `minItems`,
 * `anyOf`/`oneOf` (the first), `allOf` (merged), `$ref` into `$defs`/`definitions`, string
 * `minLength`/`maxLength`/`format`, number bounds. `pattern` and the like are not solved for:
 * the mock's answer is a sample, not a search. `text` fills strings, so the answer still echoes.
 */
export function schemaInstance(schema: unknown, text: string): unknown {
  return instance(schema, isJsonObject(schema) ? schema : {}, text, 0);
}

function instance(schema: unknown, root: JsonObject, text: string, depth: number): unknown {
  if (!isJsonObject(schema) || depth > MAX_DEPTH) return null;
  const next = (inner: unknown) => instance(inner, root, text, depth + 1);
  if (typeof schema.$ref === "string") return next(resolve(schema.$ref, root));
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0] ?? null;
  const choice = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(choice)) return next(choice[0]);
  if (Array.isArray(schema.allOf)) return next(merged(schema.allOf.map((part) => followed(part, root))));
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== "null") ?? "null") : schema.type;
  if (type === "object" || (type === undefined && isJsonObject(schema.properties))) {
    const properties = isJsonObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
    const out: JsonObject = {};
    for (const key of required) out[key] = next(properties[key] ?? {});
    return out;
  }
  if (type === "array") {
    const min = typeof schema.minItems === "number" ? schema.minItems : 0;
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    return Array.from({ length: Math.max(min, 0) }, (_, i) => next(prefix[i] ?? schema.items ?? {}));
  }
  if (type === "string") return stringOf(schema, text);
  if (type === "number" || type === "integer") return numberOf(schema, type === "integer");
  if (type === "boolean") return false;
  if (type === "null") return null;
  return text; // no type: any value will do
}

/** A `$ref` within the schema (`#/$defs/Name`, `#/definitions/Name`, `#`); undefined elsewhere. */
function resolve(ref: string, root: JsonObject): unknown {
  if (!ref.startsWith("#")) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    at = isJsonObject(at) ? at[key] : undefined;
  }
  return at;
}

const followed = (part: unknown, root: JsonObject): unknown =>
  isJsonObject(part) && typeof part.$ref === "string" ? resolve(part.$ref, root) : part;

/** `allOf`'s parts as one schema: their properties and required lists joined, the rest the last's. */
function merged(parts: unknown[]): JsonObject {
  const out: JsonObject = {};
  const properties: JsonObject = {};
  const required: unknown[] = [];
  for (const part of parts.filter(isJsonObject)) {
    Object.assign(out, part);
    if (isJsonObject(part.properties)) Object.assign(properties, part.properties);
    if (Array.isArray(part.required)) required.push(...part.required);
  }
  return { ...out, properties, required };
}

function stringOf(schema: JsonObject, text: string): string {
  const format = typeof schema.format === "string" ? FORMATTED[schema.format] : undefined;
  if (format !== undefined) return format;
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Number.POSITIVE_INFINITY;
  return text.padEnd(min, ".").slice(0, max);
}

function numberOf(schema: JsonObject, integer: boolean): number {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  let value = 0;
  if (typeof minimum === "number") value = minimum;
  if (typeof exclusiveMinimum === "number") value = exclusiveMinimum + (integer ? 1 : 0.5);
  if (typeof maximum === "number" && value > maximum) value = maximum;
  if (typeof exclusiveMaximum === "number" && value >= exclusiveMaximum)
    value = exclusiveMaximum - (integer ? 1 : 0.5);
  return integer ? Math.ceil(value) : value;
}
