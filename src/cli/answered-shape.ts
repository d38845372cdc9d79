import { z } from "zod";

/**
 * One field of a gateway's answer as the CLI checks it: its JSON type alone. A closed set (a role,
 * a front door, a status) is any string, a number has no bounds, a list of objects holds anything:
 * a gateway one release newer adds a role or a front door, and a stored row may hold a number the
 * gateway's own schema refuses (a negative latency); the CLI prints those as they are. What it
 * checks is what would end it on a script error: a list where it joins, a string where it slices.
 */
function answeredField(type: z.ZodType): z.ZodType {
  if (type instanceof z.ZodOptional) return answeredField(type.unwrap() as z.ZodType).optional();
  if (type instanceof z.ZodNullable) return answeredField(type.unwrap() as z.ZodType).nullable();
  if (type instanceof z.ZodArray) {
    const element = type.element as z.ZodType;
    // Nested objects (an audit row's attempts) are printed whole by --json, never read field by field.
    return z.array(element instanceof z.ZodObject ? z.unknown() : answeredField(element));
  }
  if (type instanceof z.ZodString || type instanceof z.ZodEnum) return z.string();
  if (type instanceof z.ZodNumber) return z.number();
  if (type instanceof z.ZodBoolean) return z.boolean();
  return z.unknown();
}

/**
 * A gateway schema (a key's view, an audit record) as every gateway's answer holds it: each field
 * of its JSON type where present (answeredField), the `required` ones always (a gateway of an
 * earlier release answers without fields added since, such as a key's `chain`); `"all"` when every
 * release answered all of them (a shadow report's figures of a model).
 */
export function answeredShape<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  required: readonly (keyof Shape & string)[] | "all",
): z.ZodObject {
  const fields: Record<string, z.ZodType> = {};
  for (const [name, type] of Object.entries(schema.shape)) {
    const field = answeredField(type as z.ZodType);
    fields[name] = required === "all" || required.includes(name) ? field : field.optional();
  }
  return z.object(fields);
}
