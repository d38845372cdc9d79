import { z } from "zod";
import { unitFields } from "./unit-fields.ts";
import { formatSize, parseDuration, parseSize } from "./units.ts";

/*
 * The kinds of value every config section reads, defined once. `${VAR}` interpolation always
 * yields text, so `port: ${PORT:-8080}` arrives as "8080": each kind takes that text wherever it
 * takes the plain YAML value, so no section needs quotes or rules of its own.
 */

/**
 * A number as YAML 1.2's core schema (the file's) reads one: `8080`, `+8080`, `-0.5`, `.5`, `1e3`,
 * `0x50`, `0o17`; so `${PORT}` set to `+8080` is taken as `port: +8080` is. Not `8_080` or `0b101`,
 * which YAML reads as text.
 */
const NUMERIC = /^\s*(?:[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?|0o[0-7]+|0x[\da-fA-F]+)\s*$/;

/** A boolean as YAML 1.2's core schema reads one: `true`, `True`, `TRUE`, and so for false. */
const BOOLEAN: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};

/** A number, or text that is exactly one. */
export const num = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === "string" && NUMERIC.test(value) ? Number(value) : value), schema);

/**
 * A field whose name says milliseconds (`audit.flush_ms`): a bare number is milliseconds, as the
 * name says and as it was always written; a duration with its unit ("250ms", "2s") is read as
 * every other duration field reads it.
 */
export const milliseconds = (schema: z.ZodNumber) =>
  z.preprocess((value) => {
    if (typeof value !== "string") return value;
    return NUMERIC.test(value) ? Number(value) : (parseDuration(value) ?? value);
  }, schema);

/** true or false, or the same as text (`True`, `FALSE`: as the file's YAML reads them). */
export const bool = () =>
  z.preprocess(
    (value) => (typeof value === "string" && Object.hasOwn(BOOLEAN, value) ? BOOLEAN[value] : value),
    z.boolean(),
  );

/**
 * Why a duration may not be 0, said when it is refused: what 0 would do, and what to write
 * instead. Elsewhere 0 is "no bound" (`routing.stream_keepalive`, `storage.statement_timeout`)
 * or "none" (`routing.backoff`), so an operator may write it meaning that where it would instead
 * time out every call at once, or delete every row as soon as it is written.
 */
interface ZeroRefused {
  readonly atZero: string;
  readonly instead: string;
}

/**
 * A duration in milliseconds: "500ms", "30s", "10m", "30d"; a bare number needs a unit (0 aside).
 * `zero`: why 0 is refused; `"floored"`, a floor piped after it says what a short one does.
 */
const durationOf = (zero?: ZeroRefused | "floored") =>
  z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        const hint = /^\s*\d+(\.\d+)?\s*$/.test(String(value))
          ? `needs a unit: ${value}ms? ${value}s?`
          : "use e.g. 500ms, 30s, 10m, 30d";
        ctx.addIssue({ code: "custom", message: `invalid duration "${value}" (${hint})` });
        return z.NEVER;
      }
      // Where 0 means none or no bound, a bound written under 1 ms must not come out as none.
      if (ms === 0 && zero === undefined && /[1-9]/.test(String(value))) {
        ctx.addIssue({
          code: "custom",
          message: `invalid duration "${value}": it rounds to 0 ms, which this field reads as 0 (write 0 for that, or at least 1ms)`,
        });
        return z.NEVER;
      }
      if (ms === 0 && zero !== undefined && zero !== "floored") {
        // "0.1ms" is not 0 as written: say why it is taken for 0.
        const rounded = /[1-9]/.test(String(value)) ? `, and "${value}" rounds to 0 ms` : "";
        ctx.addIssue({
          code: "custom",
          message: `must be more than 0${rounded}: ${zero.atZero}; ${zero.instead}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .register(unitFields, { unit: "ms" });

/** A duration without a default, in milliseconds; 0 taken. */
const durationValue = durationOf();

/** A duration without a default that may not be 0: `atZero`, what 0 would do; `instead`, what to write. */
export const durationAboveZero = (atZero: string, instead: string) => durationOf({ atZero, instead });

/**
 * A duration with a default, in milliseconds. `atZero`: for a field where 0 would break what it
 * bounds, what it would do; 0 is then refused, naming the default.
 */
export const duration = (fallback: string, atZero?: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .pipe(
      atZero === undefined
        ? durationValue
        : durationAboveZero(atZero, `leave it out for its default (${fallback}), or write a longer duration`),
    );

/** A duration with a default, in milliseconds, that a `.pipe(z.number().min(…))` after it bounds below. */
export const durationWithFloor = (fallback: string) =>
  z.union([z.string(), z.number()]).default(fallback).pipe(durationOf("floored"));

/**
 * A size with a default, in bytes: "512KB", "10MB", "1GB", or a bare number of bytes. `min`: the
 * least it may be, for a bound below which nothing could pass (a `max_body: 0` refused every
 * request with a 413).
 */
export const size = (fallback: string, min = 0) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const bytes = parseSize(value);
      if (bytes === undefined) {
        ctx.addIssue({ code: "custom", message: `invalid size "${value}" (use e.g. 512KB, 10MB)` });
        return z.NEVER;
      }
      if (bytes < min) {
        // Leaving the field out gives its default (10MB for max_body), not "no bound".
        const message = `must be at least ${formatSize(min)}, got ${formatSize(bytes)} (0 is not "no bound": this bound cannot be lifted)`;
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return bytes;
    })
    .register(unitFields, { unit: "bytes" });
