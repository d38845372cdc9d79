import { expect, test } from "bun:test";
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
