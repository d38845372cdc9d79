import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * What Anthropic's SDK's `transformJSONSchema` would get wrong, set aside before it runs and put
 * back after (anthropic-enforced-schema.ts). It reads only `$defs`, types given as one name, and
 * `$ref` alone; so, before it:
 * - draft-07's `definitions` (zod's draft-7 refs, Pydantic v1) become `$defs`, and every
 *   `#/definitions/…` reference with them: it would write them into a description, leaving each
 *   `$ref` dangling. Anthropic takes local definitions either way.
 * - a node it would empty goes through untouched: a record (`additionalProperties` a schema, or
 *   `patternProperties`) or an object that names no properties. It would close them as
 *   `{properties: {}, additionalProperties: false}`, and the model could answer only `{}`; as sent,
 *   Anthropic's 400 says what it cannot enforce.
 * - a type list with `object` or `array` (`["object", "null"]`), or with its types' keywords,
 *   becomes an `anyOf` of one variant a type, each with its type's keywords: it would leave the
 *   object open, its properties unread, and write a `format` into the description.
 * - a `$ref` keeps the siblings it would drop (its `description`, say).
 * A node set aside is a `$ref` to a name no local reference has (not `#…`), which it keeps as is.
 */
export class SchemaSetAside {
  private readonly aside: JsonObject[] = [];

  /** `schema` as `transformJSONSchema` should get it: a new tree; the caller's is not changed. */
  prepared(schema: JsonObject): JsonObject {
    const { definitions, ...rest } = schema;
    if (!isJsonObject(definitions)) return this.node(schema);
    const defs = isJsonObject(rest.$defs) ? rest.$defs : {};
    return this.node({ ...rest, $defs: { ...definitions, ...defs } });
  }

  /** What `transformJSONSchema` wrote, with every node set aside back in its place. */
  restored(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.restored(item));
    if (!isJsonObject(value)) return value;
    const index = asideIndex(value);
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value))
      if (index === undefined || key !== "$ref") out[key] = this.restored(child);
    // A root reference keeps the `$defs` beside it.
    return index === undefined ? out : { ...out, ...this.aside[index] };
  }

  private node(schema: JsonObject): JsonObject {
    if (typeof schema.$ref === "string") {
      const { $defs, ...reference } = schema;
      const aside = this.setAside(withLocalRefs({ ...reference, $ref: localRef(schema.$ref) }));
      return isJsonObject($defs) ? { $defs: this.child("$defs", $defs), ...aside } : aside;
    }
    if (isOpenObject(schema)) return this.setAside(withLocalRefs(schema));
    const split = typeSplit(schema);
    if (split) return this.node(split);
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(schema)) out[key] = this.child(key, value);
    return out;
  }

  /** A keyword's value: the schemas it holds prepared, anything else as it is. */
  private child(key: string, value: unknown): unknown {
    if (SCHEMA_LISTS.has(key) && Array.isArray(value))
      return value.map((item) => (isJsonObject(item) ? this.node(item) : item));
    if (SCHEMA_MAPS.has(key) && isJsonObject(value)) {
      const out: JsonObject = {};
      for (const [name, item] of Object.entries(value))
        out[name] = isJsonObject(item) ? this.node(item) : item;
      return out;
    }
    if (key === "items" && isJsonObject(value)) return this.node(value);
    return value;
  }

  private setAside(node: JsonObject): JsonObject {
    this.aside.push(node);
    return { $ref: `${ASIDE}${this.aside.length - 1}` };
  }
}

/** Not `#`: no local reference begins so, and `transformJSONSchema` keeps a `$ref` as it is. */
const ASIDE = "mindgw-set-aside:";

function asideIndex(node: JsonObject): number | undefined {
  const ref = node.$ref;
  if (typeof ref !== "string" || !ref.startsWith(ASIDE)) return undefined;
  return Number(ref.slice(ASIDE.length));
}

/** The keywords whose values are lists of schemas, and maps of name to schema, that it walks. */
const SCHEMA_LISTS: ReadonlySet<string> = new Set(["anyOf", "oneOf", "allOf"]);
const SCHEMA_MAPS: ReadonlySet<string> = new Set(["properties", "$defs"]);

const isOpenObject = (schema: JsonObject): boolean =>
  typeOf(schema).includes("object") &&
  (!isJsonObject(schema.properties) ||
    isJsonObject(schema.additionalProperties) ||
    schema.additionalProperties === true ||
    schema.patternProperties !== undefined);

const typeOf = (schema: JsonObject): readonly unknown[] =>
  Array.isArray(schema.type) ? schema.type : [schema.type];

const localRef = (ref: string): string =>
  ref.startsWith("#/definitions/") ? `#/$defs/${ref.slice("#/definitions/".length)}` : ref;

/** `value` with every `#/definitions/…` reference in it pointed at `$defs`. */
function withLocalRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withLocalRefs) as T;
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value))
    out[key] = key === "$ref" && typeof child === "string" ? localRef(child) : withLocalRefs(child);
  return out as T;
}

/** The keywords that belong to one type: a variant of a split type list takes its own. */
const TYPE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  object: [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "propertyNames",
  ],
  array: ["items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"],
  string: ["format", "pattern", "minLength", "maxLength"],
  number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
};
const TYPED = new Set(Object.values(TYPE_KEYWORDS).flat());

/**
 * A type list with `object` or `array` in it, or keywords of one of its types (`format`), as an
 * `anyOf` of one variant a type; undefined for any other node (`["string", "null"]` goes as it is).
 */
function typeSplit(schema: JsonObject): JsonObject | undefined {
  const { type } = schema;
  if (!Array.isArray(type)) return undefined;
  const structured = type.some((name) => name === "object" || name === "array");
  if (!structured && !Object.keys(schema).some((key) => TYPED.has(key))) return undefined;
  // Literals say the values themselves; a union of its own is left as it is.
  if (["enum", "const", "anyOf", "oneOf", "allOf"].some((key) => key in schema)) return undefined;
  const shared: JsonObject = {};
  for (const [key, value] of Object.entries(schema))
    if (key !== "type" && !TYPED.has(key)) shared[key] = value;
  const variants = type.map((name) => {
    const variant: JsonObject = { type: name };
    for (const key of TYPE_KEYWORDS[String(name)] ?? []) if (key in schema) variant[key] = schema[key];
    return variant;
  });
  return { ...shared, anyOf: variants };
}
