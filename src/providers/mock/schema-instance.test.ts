import { describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { schemaInstance } from "./schema-instance.ts";

const ajv = addFormats(new Ajv2020({ strict: false }));
const valid = (schema: object) => {
  const value = schemaInstance(schema, "echo");
  expect([value, ajv.validate(schema, value), ajv.errors]).toEqual([value, true, null]);
  return value;
};

describe("schemaInstance: the smallest valid value", () => {
  test("a strict structured-output object: every required property, nothing more", () => {
    const person = {
      type: "object",
      properties: {
        name: { type: "string" },
        age: { type: "number" },
        tags: { type: "array", items: { type: "string" } },
        role: { type: "string", enum: ["admin", "user"] },
        note: { type: ["string", "null"] },
      },
      required: ["name", "age", "tags", "role", "note"],
      additionalProperties: false,
    };
    expect(valid(person)).toEqual({ name: "echo", age: 0, tags: [], role: "admin", note: "echo" });
    expect(valid({ ...person, required: ["age"] })).toEqual({ age: 0 });
  });

  test("refs into $defs (recursive ones end), anyOf, allOf, const, bounds, lengths, formats", () => {
    valid({
      $defs: {
        node: {
          type: "object",
          properties: {
            value: { type: "integer", minimum: 3 },
            children: { type: "array", items: { $ref: "#/$defs/node" } },
          },
          required: ["value", "children"],
        },
      },
      type: "object",
      properties: {
        tree: { $ref: "#/$defs/node" },
        either: { anyOf: [{ type: "boolean" }, { type: "string" }] },
        both: {
          allOf: [
            { type: "object", properties: { a: { const: 1 } }, required: ["a"] },
            { properties: { b: { type: "string", minLength: 10, maxLength: 12 } }, required: ["b"] },
          ],
        },
        score: { type: "number", exclusiveMinimum: 1, maximum: 2 },
        when: { type: "string", format: "date-time" },
        mail: { type: "string", format: "email" },
        pair: { type: "array", minItems: 2, items: { type: "integer", exclusiveMaximum: -4 } },
      },
      required: ["tree", "either", "both", "score", "when", "mail", "pair"],
    });
  });

  test("a schema that recurses on a required property gives up at a depth, with an answer", () => {
    const loop = {
      $defs: { a: { type: "object", properties: { a: { $ref: "#/$defs/a" } }, required: ["a"] } },
      $ref: "#/$defs/a",
    };
    expect(JSON.stringify(schemaInstance(loop, "x"))).toContain("null");
  });
});
