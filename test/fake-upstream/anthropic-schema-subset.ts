import type { FakeRefusal } from "./fake-call.ts";

/** Keywords Anthropic's structured outputs refuse in an enforced schema (`minItems` past 1 too). */
const UNSUPPORTED = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
] as const;

/** The string formats Anthropic's structured outputs know (as Anthropic's SDK lists them). */
const FORMATS = new Set([
  "date-time",
  "time",
  "date",
  "duration",
  "email",
  "hostname",
  "uri",
  "ipv4",
  "ipv6",
  "uuid",
]);

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The schemas a node holds: its properties', its items', its variants', its definitions'. */
function children(node: Node): unknown[] {
  const values = (key: string) => (isNode(node[key]) ? Object.values(node[key]) : []);
  const list = (key: string) => (Array.isArray(node[key]) ? node[key] : []);
  return [
    ...values("properties"),
    ...values("$defs"),
    ...values("definitions"),
    node.items,
    node.additionalProperties,
    ...list("anyOf"),
    ...list("oneOf"),
    ...list("allOf"),
  ];
}

/**
 * Why Anthropic refuses `schema` at `path`, in its words; undefined when it takes it. `root` is the
 * whole schema, which a local `$ref` must name a definition of (`$defs` or `definitions`).
 */
function schemaRefusal(schema: unknown, path: string, root: unknown = schema): string | undefined {
  if (!isNode(schema)) return undefined;
  if (typeof schema.$ref === "string" && !resolves(root, schema.$ref))
    return `${path}: '$ref' '${schema.$ref}' does not resolve to a definition in the schema`;
  if (typeof schema.format === "string" && !FORMATS.has(schema.format))
    return `${path}: For 'string' type, format '${schema.format}' is not supported`;
  const type = String(schema.type);
  const keyword = UNSUPPORTED.find((key) => key in schema);
  if (keyword) return `${path}: For '${type}' type, property '${keyword}' is not supported`;
  if (typeof schema.minItems === "number" && schema.minItems > 1)
    return `${path}: For 'array' type, 'minItems' values other than 0 or 1 are not supported`;
  if (schema.type === "object" && schema.additionalProperties !== false)
    return `${path}: For 'object' type, 'additionalProperties' must be explicitly set to false`;
  for (const child of children(schema)) {
    const refused = schemaRefusal(child, path, root);
    if (refused) return refused;
  }
  return undefined;
}

/** Whether `ref` names a definition `root` holds: `#/$defs/NAME` or `#/definitions/NAME`, or `#` itself. */
function resolves(root: unknown, ref: string): boolean {
  if (ref === "#") return true;
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match || !isNode(root)) return false;
  const defs = root[match[1] as string];
  return isNode(defs) && isNode(defs[match[2] as string]);
}

interface Enforced {
  output_config?: { format?: { type: string; schema?: unknown } | null } | null;
  tools?: ReadonlyArray<{ input_schema?: unknown; strict?: unknown }>;
}

/**
 * Anthropic's refusal of a schema it would enforce outside its structured outputs' subset: an
 * `output_config.format` schema, a `strict` tool's `input_schema`. A tool that is not strict is not
 * enforced, and takes any schema.
 */
export function unsupportedSchema(req: Enforced): FakeRefusal | undefined {
  const format = req.output_config?.format;
  const refused =
    (format?.type === "json_schema"
      ? schemaRefusal(format.schema, "output_config.format.schema")
      : undefined) ??
    req.tools
      ?.map((tool, i) =>
        tool.strict === true ? schemaRefusal(tool.input_schema, `tools.${i}.custom.input_schema`) : undefined,
      )
      .find((message) => message !== undefined);
  return refused === undefined ? undefined : { status: 400, message: refused };
}
