import { expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { geminiToolSchema } from "./gemini-tool-schema.ts";

const NAME = { type: "string", minLength: 1 };

test("$schema left out; a schema without references otherwise as given", () => {
  const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: {} };
  expect(geminiToolSchema(schema)).toEqual({ type: "object", properties: {} });
});

test("definitions and escaped pointers written out, nested references too", () => {
  const schema = {
    type: "object",
    definitions: { "a/b": { type: "array", items: { $ref: "#/definitions/n~0m" } }, "n~m": NAME },
    properties: { list: { $ref: "#/definitions/a~1b" }, same: { $ref: "#/properties/list" } },
  };
  const list = { type: "array", items: NAME };
  expect(geminiToolSchema(schema)).toEqual({ type: "object", properties: { list, same: list } });
});

test("data is not read for references: a default or const holding $ref stays", () => {
  const schema = {
    $defs: { n: NAME },
    properties: { x: { $ref: "#/$defs/n", default: { $ref: "#/$defs/n" } }, y: { const: { $ref: "x" } } },
  };
  expect(geminiToolSchema(schema)).toEqual({
    properties: { x: { ...NAME, default: { $ref: "#/$defs/n" } }, y: { const: { $ref: "x" } } },
  });
});

test("a recursive, remote, dangling or malformed reference: the schema as given, less $schema", () => {
  const tree = {
    $defs: { node: { type: "object", properties: { kids: { items: { $ref: "#/$defs/node" } } } } },
  };
  for (const schema of [
    { ...tree, properties: { root: { $ref: "#/$defs/node" } } },
    { properties: { x: { $ref: "https://example.com/s.json" } } },
    { properties: { x: { $ref: "#/$defs/missing" } } },
    { $defs: { n: NAME }, properties: { x: { $ref: "#/$defs/%E0" } } },
  ])
    expect(geminiToolSchema({ $schema: "x", ...schema })).toEqual(schema);
});

/** `levels` definitions, each but the last referencing the next twice: written out, 2^levels leaves. */
function doubling(levels: number) {
  const $defs: Record<string, object> = { [`d${levels}`]: NAME };
  for (let level = 0; level < levels; level++)
    $defs[`d${level}`] = {
      type: "array",
      prefixItems: [{ $ref: `#/$defs/d${level + 1}` }, { $ref: `#/$defs/d${level + 1}` }],
    };
  return { $defs, type: "object", properties: { x: { $ref: "#/$defs/d0" } } };
}

test("a schema whose references write out far past its own size goes as given, at once", () => {
  const schema = doubling(40);
  expect(geminiToolSchema(schema)).toEqual(schema);
});

test("references written out several times over, within the bound", () => {
  expect(JSON.stringify(geminiToolSchema(doubling(8)))).not.toContain("$ref");
});

test("parameters and definitions named as keywords (default, enum, $ref) are schemas, written out", () => {
  const ref = { $ref: "#/$defs/n" };
  const schema = {
    $defs: { n: NAME, enum: { type: "array", items: ref } },
    type: "object",
    properties: { default: ref, $ref: ref, const: { type: "integer" }, b: { $ref: "#/$defs/enum" } },
    patternProperties: { example: ref },
    dependentSchemas: { enum: { properties: { examples: ref } } },
  };
  expect(geminiToolSchema(schema)).toEqual({
    type: "object",
    properties: { default: NAME, $ref: NAME, const: { type: "integer" }, b: { type: "array", items: NAME } },
    patternProperties: { example: NAME },
    dependentSchemas: { enum: { properties: { examples: NAME } } },
  });
});

test("a parameter named __proto__ stays a parameter", () => {
  const schema: JsonObject = JSON.parse(
    '{"$defs":{"n":{"type":"string"}},"properties":{"__proto__":{"$ref":"#/$defs/n"}}}',
  );
  expect(JSON.stringify(geminiToolSchema(schema))).toBe('{"properties":{"__proto__":{"type":"string"}}}');
});

test("a parameter named default is its only reference: written out all the same", () => {
  expect(geminiToolSchema({ $defs: { n: NAME }, properties: { default: { $ref: "#/$defs/n" } } })).toEqual({
    properties: { default: NAME },
  });
});
