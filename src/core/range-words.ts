/** zod's words for a number out of range: `Too small: expected number to be >=1`. */
const OUT_OF_RANGE = /^Too (?:small|big): expected number to be (>=|>|<=|<)(-?\d[\d.e+-]*)$/;

const BOUND_WORDS: Readonly<Record<string, string>> = {
  ">=": "must be at least",
  ">": "must be more than",
  "<=": "at most",
  "<": "must be less than",
};

/**
 * A number's range as every numeric flag of the command line says it (`--limit: must be at least 1`,
 * as `--rpm` says it in its own schema's words), not in zod's (`Too small: expected number to be
 * >=1`), which the HTTP API keeps. Any other refusal is left as it was.
 */
export function rangeWords(refusal: string): string {
  const range = OUT_OF_RANGE.exec(refusal);
  return range?.[1] && range[2] ? `${BOUND_WORDS[range[1]]} ${range[2]}` : refusal;
}
