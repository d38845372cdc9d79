import type { default as Ajv2020, ValidateFunction } from "ajv/dist/2020.js";

/**
 * Full JSON Schema validation of structured output, for the shadow's "schema validity" measure.
 * The schema comes from the client's request (`response_format.json_schema.schema`), so:
 * compiled validators are cached by the schema's text (a model answers many requests with the
 * same schema) in a bounded map; a schema too large, or one Ajv cannot compile (a remote
 * `$ref`, a malformed keyword), is not judged (null) rather than guessed at. This runs in the
 * shadow runner after both answers are in, never on the client's path.
 */
const MAX_SCHEMA_CHARS = 64 * 1024;
const MAX_CACHED = 64;

let ajv: Ajv2020 | undefined;

/**
 * Ajv, loaded and set up on the first schema judged rather than at start: a gateway whose
 * shadows never see a JSON schema does not hold it (docs/BENCHMARKS-HISTORY.md, idle RSS). Not strict:
 * providers accept keywords Ajv does not know (OpenAI's `strict`, vendor `x-…`). Formats are
 * checked (date-time, email, uuid…), unknown ones ignored.
 */
function schemaCompiler(): Ajv2020 {
  if (ajv) return ajv;
  const { default: Ajv } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const { default: addFormats } = require("ajv-formats") as typeof import("ajv-formats");
  ajv = new Ajv({ strict: false, allErrors: false, logger: false, validateSchema: true });
  addFormats(ajv);
  return ajv;
}

const compiled = new Map<string, ValidateFunction | null>();

function validatorFor(schema: unknown): ValidateFunction | null {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return null;
  const text = JSON.stringify(schema);
  if (text.length > MAX_SCHEMA_CHARS) return null;
  const cached = compiled.get(text);
  if (cached !== undefined) {
    // Re-inserted: the map's order is least recently used first.
    compiled.delete(text);
    compiled.set(text, cached);
    return cached;
  }
  let validate: ValidateFunction | null;
  try {
    // A fresh parse, so Ajv's schema cache never holds the caller's object; `pattern`s removed,
    // since a client's regular expression run on the gateway's event loop could stall it.
    validate = schemaCompiler().compile(withoutPatterns(JSON.parse(text)) as object);
  } catch {
    validate = null;
  }
  if (compiled.size >= MAX_CACHED) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) {
      const stale = compiled.get(oldest);
      compiled.delete(oldest);
      if (stale) schemaCompiler().removeSchema(stale.schema as object);
    }
  }
  compiled.set(text, validate);
  return validate;
}

/**
 * Does `value` satisfy `schema`? Null when the schema cannot be judged (not an object, over the
 * size bound, or not compilable).
 */
export function satisfiesSchema(schema: unknown, value: unknown): boolean | null {
  const validate = validatorFor(schema);
  return validate ? validate(value) === true : null;
}

/**
 * The schema without its `pattern` keywords. A client writes them, and a catastrophic one
 * (`(a+)+$`) would block the event loop for every request; strings are then judged by the rest
 * of the schema (type, length, enum, format) only.
 */
export function withoutPatterns(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutPatterns);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "pattern" && typeof value === "string") continue;
    // Property names and enum values are data, not schema: copied as they are.
    out[key] = key === "enum" || key === "const" || key === "examples" ? value : withoutPatterns(value);
  }
  return out;
}
