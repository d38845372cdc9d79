/**
 * zod's words for a value past a bound: `Too small: expected number to be >=1`, `Too big: expected
 * string to have <=100 characters`, `Too big: expected array to have <=1000 items`.
 */
const OUT_OF_RANGE =
  /^Too (?:small|big): expected (?:number|string|array) to (?:be|have) (>=|>|<=|<)(-?\d[\d.e+-]*)( characters| items)?$/;

/** zod's words for a value outside a closed set: `Invalid option: expected one of "asc"|"desc"`. */
const NOT_AN_OPTION = /^Invalid option: expected one of ("[^"|]*"(?:\|"[^"|]*")*)$/;

const BOUND_WORDS: Readonly<Record<string, string>> = {
  ">=": "must be at least",
  ">": "must be more than",
  "<=": "at most",
  "<": "must be less than",
};

/** A bound in words: `at most 1000`, `at most 100 characters`; text or a list held to one or more is `empty`. */
function boundWords(op: string, bound: string, unit: string | undefined): string {
  if (unit !== undefined && ((op === ">=" && bound === "1") || (op === ">" && bound === "0"))) return "empty";
  return `${BOUND_WORDS[op]} ${bound}${unit ?? ""}`;
}

/** A closed set in words: `expected asc or desc`, `expected admin, user or worker`. */
function optionWords(quoted: string): string {
  const options = quoted.split("|").map((option) => option.slice(1, -1));
  const last = options.pop();
  return `expected ${options.length ? `${options.join(", ")} or ` : ""}${last}`;
}

/**
 * A refusal as every flag of the command line says it (`--limit: must be at least 1`, `--name:
 * empty`, `--order: expected asc or desc`, as `--rpm` and `--format` say theirs in their own
 * schemas' words), not in zod's (`Too small: expected number to be >=1`, `Invalid option: expected
 * one of "asc"|"desc"`), which the HTTP API keeps. Any other refusal is left as it was.
 */
export function zodWords(refusal: string): string {
  const range = OUT_OF_RANGE.exec(refusal);
  if (range?.[1] && range[2]) return boundWords(range[1], range[2], range[3]);
  const options = NOT_AN_OPTION.exec(refusal);
  return options?.[1] ? optionWords(options[1]) : refusal;
}

/** zod's type names (`issue.expected` of an `invalid_type`) in the CLI's words. */
const EXPECTED: Readonly<Record<string, string>> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

/** A type zod expected in words: `a list`, `text`; a name not in the table as zod says it. */
export const expectedWords = (expected: string): string => EXPECTED[expected] ?? expected;

/** The value at an issue's `path` in `json`; undefined where the path leads nowhere (a field missing). */
export function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
