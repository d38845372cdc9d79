import type { FakeRefusal } from "./fake-call.ts";

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Why OpenAI's strict mode refuses `schema`, in its words (without its "Invalid schema for …" lead). */
function strictRefusal(schema: unknown, context: readonly string[]): string | undefined {
  if (!isNode(schema)) return undefined;
  const where = `In context=(${context.map((key) => `'${key}'`).join(", ")})`;
  if (schema.type === "object" || isNode(schema.properties)) {
    if (schema.additionalProperties !== false)
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(isNode(schema.properties) ? schema.properties : {}).find(
      (key) => !required.includes(key),
    );
    if (missing !== undefined)
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
  }
  for (const key of ["properties", "$defs", "definitions"]) {
    const map = schema[key];
    if (!isNode(map)) continue;
    for (const [name, child] of Object.entries(map)) {
      const refused = strictRefusal(child, [...context, key, name]);
      if (refused) return refused;
    }
  }
  const items = strictRefusal(schema.items, [...context, "items"]);
  if (items) return items;
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const [i, child] of list.entries()) {
      const refused = strictRefusal(child, [...context, key, String(i)]);
      if (refused) return refused;
    }
  }
  return undefined;
}

/** OpenAI's refusal of a strict schema's root that is no object (an array, an `anyOf` of objects). */
function rootRefusal(schema: unknown): string | undefined {
  if (!isNode(schema)) return undefined;
  if (schema.anyOf !== undefined)
    return "Root schema must not be of type 'anyOf'; use an object with the union as a property.";
  if (schema.type !== "object")
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema.type ?? "None")}"'.`;
  return undefined;
}

interface StrictRequest {
  response_format?: { json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } } | null;
  tools?: ReadonlyArray<{ function?: { name: string; parameters?: unknown; strict?: unknown } }> | null;
}

/**
 * OpenAI's refusal of a strict schema outside its strict mode's subset (an object at its root, not
 * an `anyOf`; every object closed and requiring each of its properties): a `response_format`'s, or
 * a strict function's.
 */
export function strictSchemaRefusal(req: StrictRequest): FakeRefusal | undefined {
  const format = req.response_format?.json_schema;
  if (format?.strict === true) {
    const refused = rootRefusal(format.schema) ?? strictRefusal(format.schema, []);
    if (refused)
      return {
        status: 400,
        message: `Invalid schema for response_format '${String(format.name)}': ${refused}`,
        param: "response_format",
      };
  }
  for (const [i, tool] of (req.tools ?? []).entries()) {
    if (tool.function?.strict !== true) continue;
    const refused = rootRefusal(tool.function.parameters) ?? strictRefusal(tool.function.parameters, []);
    if (refused)
      return {
        status: 400,
        message: `Invalid schema for function '${tool.function.name}': ${refused}`,
        param: `tools[${i}].function.parameters`,
      };
  }
  return undefined;
}
