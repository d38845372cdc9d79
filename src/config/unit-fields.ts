import { z } from "zod";
import { formatDuration, formatSize } from "./units.ts";

/**
 * Every schema that reads a duration into milliseconds or a size into bytes registers here, so
 * output can name units again.
 */
export const unitFields = z.registry<{ readonly unit: "ms" | "bytes" }>();
const FORMAT = { ms: formatDuration, bytes: formatSize } as const;

/** The parts of a zod 4 schema definition the walks over the config schema follow. */
export interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
}

export const defOf = (schema: z.ZodType) => schema._zod.def as unknown as SchemaDef;

function unitOf(schema: z.ZodType): "ms" | "bytes" | undefined {
  const registered = unitFields.get(schema);
  if (registered) return registered.unit;
  const def = defOf(schema);
  if (def.type === "pipe") return (def.in && unitOf(def.in)) ?? (def.out && unitOf(def.out));
  return def.innerType && unitOf(def.innerType);
}

/**
 * A parsed value with every duration (a number of milliseconds after parsing) and every size (a
 * number of bytes) spelt with its unit again, so that printed config is valid input (a bare number
 * is not a duration) and reads as it was written (`max_body: 10MB`, not 10485760).
 */
export function withUnits(schema: z.ZodType, value: unknown): unknown {
  const unit = typeof value === "number" ? unitOf(schema) : undefined;
  if (unit) return FORMAT[unit](value as number);
  const def = defOf(schema);
  switch (def.type) {
    case "object":
      if (!def.shape || !value || typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const field = def.shape?.[key];
          return [key, field ? withUnits(field, item) : item];
        }),
      );
    case "array":
      return Array.isArray(value) && def.element
        ? value.map((item) => withUnits(def.element as z.ZodType, item))
        : value;
    case "record":
      return value && typeof value === "object" && def.valueType
        ? Object.fromEntries(
            Object.entries(value).map(([key, item]) => [key, withUnits(def.valueType as z.ZodType, item)]),
          )
        : value;
    case "union": {
      // The first option that names a unit in the value decides; the others leave it as is.
      const text = JSON.stringify(value);
      for (const option of def.options ?? []) {
        const formatted = withUnits(option, value);
        if (JSON.stringify(formatted) !== text) return formatted;
      }
      return value;
    }
    case "pipe":
      // A transform's output (an object after a refine, a number after parsing) is what `value` is.
      return def.out && defOf(def.out).type !== "transform"
        ? withUnits(def.out, value)
        : def.in
          ? withUnits(def.in, value)
          : value;
    default:
      return def.innerType ? withUnits(def.innerType, value) : value;
  }
}
