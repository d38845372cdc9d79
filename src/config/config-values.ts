import { z } from "zod";
import { unitFields } from "./unit-fields.ts";
import { formatSize, parseDuration, parseSize } from "./units.ts";

/*
 * The kinds of value every config section reads, defined once. `${VAR}` interpolation always
 * yields text, so `port: ${PORT:-8080}` arrives as "8080": each kind takes that text wherever it
 * takes the plain YAML value, so no section needs quotes or rules of its own.
 */

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** A number, or text that is exactly one. */
export const num = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === "string" && NUMERIC.test(value) ? Number(value) : value), schema);

/** true or false, or the same as text. */
export const bool = () =>
  z.preprocess((value) => (value === "true" ? true : value === "false" ? false : value), z.boolean());

/** A duration without a default, in milliseconds: "500ms", "30s", "10m", "30d"; a bare number needs a unit (0 aside). */
export const durationValue = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    const hint = /^\s*\d+(\.\d+)?\s*$/.test(String(value))
      ? `needs a unit: ${value}ms? ${value}s?`
      : "use e.g. 500ms, 30s, 10m, 30d";
    ctx.addIssue({ code: "custom", message: `invalid duration "${value}" (${hint})` });
    return z.NEVER;
  }
  return ms;
});
durationValue.register(unitFields, { unit: "ms" });

/** A duration with a default, in milliseconds. */
export const duration = (fallback: string) =>
  z.union([z.string(), z.number()]).default(fallback).pipe(durationValue);

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
