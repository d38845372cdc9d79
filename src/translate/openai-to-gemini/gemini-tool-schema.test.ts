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

test("a recursive, remote or dangling reference: the schema as given, less $schema", () => {
  const tree = {
    $defs: { node: { type: "object", properties: { kids: { items: { $ref: "#/$defs/node" } } } } },
  };
  for (const schema of [
    { ...tree, properties: { root: { $ref: "#/$defs/node" } } },
    { properties: { x: { $ref: "https://example.com/s.json" } } },
    { properties: { x: { $ref: "#/$defs/missing" } } },
  ])
    expect(geminiToolSchema({ $schema: "x", ...schema })).toEqual(schema);
});
