import type { JsonObject } from "../core/dialect.ts";
import type { Answer } from "./answer.ts";
import { vectorAgreement } from "./embedding-vectors.ts";
import { loadSchemaCheck, satisfiesSchema, schemaCheckLoaded } from "./schema-check.ts";
import type { ShadowAgreement } from "./shadow-api-schema.ts";

const NON_ASCII = /[^\0-\x7f]/;

/** Case, punctuation and runs of whitespace folded: what "the same answer" means to a reader. */
export function normalise(text: string): string {
  // ASCII text (most answers) takes a plain character class: the same letters and digits as the
  // Unicode one for ASCII, without its per-character property lookups. Marks (\p{M}) are kept:
  // a Devanagari or Thai vowel sign is part of the word, not punctuation.
  const folded = NON_ASCII.test(text)
    ? text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\s]/gu, " ")
    : text.toLowerCase().replace(/[^a-z0-9\s]/g, " ");
  return folded.replace(/\s+/g, " ").trim();
}

/** Letters of scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese). */
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/gu;

/**
 * Whether texts are compared by character bigrams rather than word bigrams: when most of their
 * characters are of scripts that put no space between words, a "word" would be a whole sentence,
 * and one character changed would leave nothing in common.
 */
function mostlyUnspaced(text: string): boolean {
  if (!NON_ASCII.test(text)) return false;
  const letters = text.length - (text.match(/ /g)?.length ?? 0);
  return (text.match(UNSPACED)?.length ?? 0) * 2 > letters;
}

/** A normalised text's words, or its characters (spaces aside). */
function partsOf(text: string, byCharacter: boolean): string[] {
  return text === "" ? [] : byCharacter ? Array.from(text.replaceAll(" ", "")) : text.split(" ");
}

/** The units compared: the parts' bigrams when `paired`, else the parts themselves. */
function grams(
  parts: readonly string[],
  byCharacter: boolean,
  paired: boolean,
): { counts: Map<string, number>; size: number } {
  const glue = byCharacter ? "" : " ";
  const units = paired ? parts.slice(1).map((part, i) => `${parts[i]}${glue}${part}`) : parts;
  const counts = new Map<string, number>();
  for (const unit of units) counts.set(unit, (counts.get(unit) ?? 0) + 1);
  return { counts, size: units.length };
}

/**
 * Dice coefficient over the word bigrams (words where a side has one word) of the normalised texts, or
 * over their character bigrams where the texts are mostly of unspaced scripts (CJK, Thai): 1 for
 * the same wording, 0 for nothing in common. Linear in the texts' length.
 */
export function similarity(a: string, b: string): number {
  // The same text (the common case for a shadow of the same model) needs no folding.
  if (a === b) return 1;
  const x = normalise(a);
  const y = normalise(b);
  if (x === y) return 1;
  // Both sides by the same units, chosen from the two together.
  const byCharacter = mostlyUnspaced(`${x} ${y}`);
  const px = partsOf(x, byCharacter);
  const py = partsOf(y, byCharacter);
  // Bigrams where both sides have two words (characters) or more; where one has a single one, both
  // are compared word by word: its one word against the other's bigrams could never match.
  const paired = px.length >= 2 && py.length >= 2;
  const gx = grams(px, byCharacter, paired);
  const gy = grams(py, byCharacter, paired);
  if (gx.size + gy.size === 0) return 1;
  let common = 0;
  for (const [unit, count] of gx.counts) common += Math.min(count, gy.counts.get(unit) ?? 0);
  return (2 * common) / (gx.size + gy.size);
}

/**
 * Where a request asks for structured output, by dialect: chat's `response_format`, the Responses
 * API's `text.format`, Anthropic's `output_config.format` (and `output_format`, its beta's name).
 */
function formatOf(request: JsonObject): unknown {
  const nested = (holder: unknown) => (holder as JsonObject | undefined)?.format;
  return (
    request.response_format ?? nested(request.text) ?? nested(request.output_config) ?? request.output_format
  );
}

/** The structured output a request asked for: JSON at all, or JSON to a schema. */
function structuredOutput(request: JsonObject): { schema: unknown } | null {
  const format = formatOf(request);
  if (typeof format !== "object" || format === null) return null;
  const { type } = format as { type?: unknown };
  if (type === "json_object") return { schema: undefined };
  if (type !== "json_schema") return null;
  // Chat completions nest it under `json_schema`; the Responses API's and Anthropic's do not.
  const holder = format as { json_schema?: { schema?: unknown }; schema?: unknown };
  return { schema: holder.json_schema?.schema ?? holder.schema };
}

/**
 * What `agreementOf` must wait for before it compares the answers to this request: Ajv, loaded on
 * the first request that gives a JSON schema (schema-check.ts). Undefined when nothing: no schema,
 * or Ajv loaded already.
 */
export function agreementReady(request: JsonObject): Promise<void> | undefined {
  if (schemaCheckLoaded() || structuredOutput(request)?.schema === undefined) return undefined;
  return loadSchemaCheck();
}

/** A structured answer's JSON value, boxed (its value may be null); undefined where it is no JSON. */
function jsonOf(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * The answer is JSON and, where the request gave a schema, satisfies it in full. Null where
 * the schema cannot be judged (see schema-check.ts): not measured, rather than a weaker check
 * (its top-level keys, say) passed off as the schema's.
 */
function jsonValid(json: { value: unknown } | undefined, schema: unknown): boolean | null {
  if (json === undefined) return false;
  if (schema === undefined) return true;
  return satisfiesSchema(schema, json.value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}

/**
 * What a side refused with: its refusal's words (OpenAI's), or none ("") where it refused without
 * words of its own (Anthropic's `stop_reason: "refusal"`, a content filter: `content_filter`); null
 * when it answered.
 */
function refusalOf(answer: Answer): string | null {
  if (answer.refusal !== undefined) return answer.refusal;
  return answer.finish === "content_filter" ? "" : null;
}

/**
 * How similar two sides are as refusals: 0 when one refused and the other answered (whatever it
 * said, even nothing), their words compared when both refused (1 when neither gave any); undefined
 * when neither refused (their answers are compared).
 */
function refusalSimilarity(primary: Answer, shadow: Answer): number | undefined {
  const a = refusalOf(primary);
  const b = refusalOf(shadow);
  if (a === null && b === null) return undefined;
  if (a === null || b === null) return 0;
  return similarity(`${primary.text}${a}`, `${shadow.text}${b}`);
}

const NONE: ShadowAgreement = {
  exact: null,
  similarity: null,
  primaryJsonValid: null,
  shadowJsonValid: null,
  toolsAgree: null,
  finishAgrees: null,
};

/**
 * How far two answers to the same request agree. Null answers (a side failed), or a primary's
 * read only in part (`Answer.cut`), give no measures; each measure is null where it does not apply (tools when neither called one).
 * Embeddings are compared as vectors (embedding-vectors.ts): exact and similarity, nothing else.
 * A request that gives a JSON schema is compared once `agreementReady` has settled.
 */
export function agreementOf(
  request: JsonObject,
  primary: Answer | null,
  shadow: Answer | null,
): ShadowAgreement {
  if (!primary || !shadow || primary.cut || shadow.cut) return NONE;
  if (primary.vectors || shadow.vectors)
    return { ...NONE, ...vectorAgreement(primary.vectors ?? [], shadow.vectors ?? []) };
  const structured = structuredOutput(request);
  const primaryJson = structured ? jsonOf(primary.text) : undefined;
  const shadowJson = structured ? jsonOf(shadow.text) : undefined;
  // JSON asked for is compared by its value, as OpenAI Evals' JsonMatch compares a JSON answer:
  // its spacing and key order are no part of what it says.
  const sameJson =
    primaryJson !== undefined && shadowJson !== undefined && deepEqual(primaryJson.value, shadowJson.value);
  const anyTools = primary.toolCalls.length > 0 || shadow.toolCalls.length > 0;
  // Only when both said why they ended: some servers end a stream without a finish reason.
  const finishAgrees =
    primary.finish === null || shadow.finish === null ? null : primary.finish === shadow.finish;
  // A refusal is not empty text: it differs from an answer (empty or not) and from another refusal.
  const refused = refusalSimilarity(primary, shadow);
  return {
    // The same words cut off by the token limit are not the same answer as the words finished.
    exact:
      (primary.text === shadow.text || sameJson) &&
      refusalOf(primary) === refusalOf(shadow) &&
      deepEqual(primary.toolCalls, shadow.toolCalls) &&
      finishAgrees !== false,
    similarity:
      refused !== undefined
        ? refused
        : sameJson
          ? 1
          : primary.text === "" && shadow.text === ""
            ? null
            : similarity(primary.text, shadow.text),
    primaryJsonValid: structured ? jsonValid(primaryJson, structured.schema) : null,
    shadowJsonValid: structured ? jsonValid(shadowJson, structured.schema) : null,
    toolsAgree: anyTools ? deepEqual(primary.toolCalls, shadow.toolCalls) : null,
    finishAgrees,
  };
}
