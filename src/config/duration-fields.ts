import { z } from "zod";
import { formatDuration } from "./units.ts";

/** Every schema that reads a duration into milliseconds registers here, so output can name units. */
export const durationFields = z.registry<{ readonly unit: "ms" }>();

/** The parts of a zod 4 schema definition the walk below follows. */
interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
}

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as SchemaDef;

function isDuration(schema: z.ZodType): boolean {
  if (durationFields.has(schema)) return true;
  const def = defOf(schema);
  if (def.type === "pipe") return (!!def.in && isDuration(def.in)) || (!!def.out && isDuration(def.out));
  return def.innerType !== undefined && isDuration(def.innerType);
}

/**
 * A parsed value with every duration (a number of milliseconds after parsing) spelt with its unit
 * again, so that printed config is valid input: a bare number is not a duration any more.
 */
export function withDurationUnits(schema: z.ZodType, value: unknown): unknown {
  if (typeof value === "number" && isDuration(schema)) return formatDuration(value);
  const def = defOf(schema);
  switch (def.type) {
    case "object":
      if (!def.shape || !value || typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const field = def.shape?.[key];
          return [key, field ? withDurationUnits(field, item) : item];
        }),
      );
    case "array":
      return Array.isArray(value) && def.element
        ? value.map((item) => withDurationUnits(def.element as z.ZodType, item))
        : value;
    case "record":
      return value && typeof value === "object" && def.valueType
        ? Object.fromEntries(
            Object.entries(value).map(([key, item]) => [
              key,
              withDurationUnits(def.valueType as z.ZodType, item),
            ]),
          )
        : value;
    case "union": {
      // The first option that names a duration in the value decides; the others leave it as is.
      const text = JSON.stringify(value);
      for (const option of def.options ?? []) {
        const formatted = withDurationUnits(option, value);
        if (JSON.stringify(formatted) !== text) return formatted;
      }
      return value;
    }
    case "pipe":
      // A transform's output (an object after a refine, a number after parsing) is what `value` is.
      return def.out && defOf(def.out).type !== "transform"
        ? withDurationUnits(def.out, value)
        : def.in
          ? withDurationUnits(def.in, value)
          : value;
    default:
      return def.innerType ? withDurationUnits(def.innerType, value) : value;
  }
}
