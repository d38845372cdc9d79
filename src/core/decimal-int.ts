import { z } from "zod";

/**
 * A whole number as a person writes one: decimal digits and nothing else. `Number()` (and so
 * `z.coerce.number()`) reads far more as a count: `0x10` as 16, `1e2` as 100, ` 5` as 5, `""` as 0.
 */
const DECIMAL_DIGITS = /^\d+$/;

/** What a count given as text is told when it is not one. */
export const DECIMAL_INT_HINT = "expected a whole number in decimal digits";

/**
 * The number `text` writes in decimal digits, or undefined when it is written any other way or is
 * too big to hold exactly: past 2^53 digits read as another number, and 309 of them as Infinity,
 * which passes a `< 1` check.
 */
export function decimalInt(text: string): number | undefined {
  if (!DECIMAL_DIGITS.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * The number `text` writes in decimal digits however many there are, or undefined when it is
 * written any other way: for a count checked against a bound after, which one too big to hold
 * exactly is past all the same (2^53 and more). Past what a double holds it is the largest one,
 * not Infinity, which zod reads as no number: its bound is told, not how to write a number.
 */
export function decimalDigitsValue(text: string): number | undefined {
  return DECIMAL_DIGITS.test(text) ? Math.min(Number(text), Number.MAX_VALUE) : undefined;
}

/**
 * A count from `min` to `max` in a query field or a flag (`?limit=`, `--limit`): a JSON number, or
 * text of decimal digits alone. The API's document still says an integer from `min` to `max`.
 */
export const decimalIntField = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" ? (decimalDigitsValue(value) ?? value) : value),
    // The bound first: a whole number past it (1e20, beyond what a double holds exactly) is too
    // large, not "no whole number", which is what `int` says of any number it cannot hold exactly.
    z
      .number({
        error: (issue) =>
          issue.code === "invalid_type" ? `${DECIMAL_INT_HINT} (16, not 0x10 or 1e2)` : undefined,
      })
      .max(max)
      .int(DECIMAL_INT_HINT)
      .min(min),
  );
