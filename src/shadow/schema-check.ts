import type { default as Ajv, ValidateFunction } from "ajv";
import { onDemand } from "../core/on-demand.ts";

/**
 * Full JSON Schema validation of structured output, for the shadow's "schema validity" measure.
 * The schema comes from the client's request (`response_format.json_schema.schema`), so:
 * compiled validators are cached by the schema's text (a model answers many requests with the
 * same schema) in a bounded map; a schema too large, or one Ajv cannot compile (a remote
 * `$ref`, a malformed keyword, a draft Ajv does not know), is not judged (null) rather than
 * guessed at. This runs in the shadow runner after both answers are in, never on the client's path.
 */
const MAX_SCHEMA_CHARS = 64 * 1024;
const MAX_CACHED = 64;

/** The JSON Schema drafts Ajv judges, each by a class of its own. */
type Draft = "draft-07" | "2019-09" | "2020-12";

/**
 * The draft a schema says it is written to (`$schema`): the OpenAI SDK's `zodResponseFormat`
 * writes draft-07, which Ajv's 2020-12 class refuses to compile. Without one, 2020-12, as
 * OpenAI's and Anthropic's structured outputs read schemas.
 */
function draftOf(schema: object): Draft {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (typeof declared !== "string") return "2020-12";
  if (declared.includes("draft-07") || declared.includes("draft-06")) return "draft-07";
  if (declared.includes("2019-09")) return "2019-09";
  return "2020-12";
}

/**
 * Ajv (~300 KB of code with its formats), loaded with `import()` before the first schema a shadow
 * pair gives is judged (agreement.ts, `agreementReady`) rather than at start: a gateway whose
 * shadows never see a JSON schema does not read it (docs/BENCHMARKS-HISTORY.md, session 46).
 */
const ajvLibrary = onDemand("Ajv", "agreementReady", async () => {
  const [draft07, draft2019, draft2020, formats, draft06] = await Promise.all([
    import("ajv"),
    import("ajv/dist/2019.js"),
    import("ajv/dist/2020.js"),
    import("ajv-formats"),
    import("ajv/dist/refs/json-schema-draft-06.json"),
  ]);
  const classes: Record<Draft, typeof Ajv> = {
    "draft-07": draft07.default,
    "2019-09": draft2019.default,
    "2020-12": draft2020.default,
  };
  return { classes, addFormats: formats.default, draft06: draft06.default };
});

/** Loads Ajv, once; every schema check waits for it first. */
export const loadSchemaCheck = ajvLibrary.load;
export const schemaCheckLoaded = ajvLibrary.loaded;

const compilers = new Map<Draft, Ajv>();

/**
 * Ajv for a draft, set up on the first schema of it judged. Not strict: providers accept keywords
 * Ajv does not know (OpenAI's `strict`, vendor `x-…`). Formats are checked (date-time, email,
 * uuid…), unknown ones ignored. A `NotLoadedError` before `loadSchemaCheck`.
 */
function schemaCompiler(draft: Draft): Ajv {
  const made = compilers.get(draft);
  if (made) return made;
  const { classes, addFormats, draft06 } = ajvLibrary.get();
  const ajv = new classes[draft]({ strict: false, allErrors: false, logger: false, validateSchema: true });
  if (draft === "draft-07") ajv.addMetaSchema(draft06);
  addFormats(ajv);
  compilers.set(draft, ajv);
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
  // A fresh parse, so Ajv's schema cache never holds the caller's object; `pattern`s removed,
  // since a client's regular expression run on the gateway's event loop could stall it.
  const fresh = withoutPatterns(JSON.parse(text)) as object;
  // Outside the catch: Ajv not loaded yet is the gateway's mistake, not a schema it cannot judge.
  const compiler = schemaCompiler(draftOf(fresh));
  let validate: ValidateFunction | null;
  try {
    validate = compiler.compile(fresh);
  } catch {
    validate = null;
  }
  if (compiled.size >= MAX_CACHED) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) {
      const stale = compiled.get(oldest);
      compiled.delete(oldest);
      if (stale) schemaCompiler(draftOf(stale.schema as object)).removeSchema(stale.schema as object);
    }
  }
  compiled.set(text, validate);
  return validate;
}

/**
 * Does `value` satisfy `schema`? Null when the schema cannot be judged (not an object, over the
 * size bound, or not compilable). Ajv is loaded first (`loadSchemaCheck`).
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
