import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { unsupportedSchema } from "../../../test/fake-upstream/anthropic-schema-subset.ts";
import { anthropicEnforcedSchema } from "./anthropic-enforced-schema.ts";

/** Anthropic's refusal of `schema` as an enforced format (the fake upstream's checks), or undefined. */
const refusalOf = (schema: unknown) =>
  unsupportedSchema({ output_config: { format: { type: "json_schema", schema } } })?.message;

const ADDRESS = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
};

describe("anthropicEnforcedSchema", () => {
  test("draft-07 definitions (zod's draft-7 refs, Pydantic v1) become $defs, every reference with them", () => {
    const address = z.object({ city: z.string() });
    const sent = z.toJSONSchema(z.object({ home: address, work: address }), {
      target: "draft-7",
      reused: "ref",
    });
    expect(JSON.stringify(sent)).toContain("#/definitions/");
    // Anthropic takes it as sent; reshaped, it must still resolve every reference.
    const enforced = anthropicEnforcedSchema(sent) as {
      $defs: Record<string, unknown>;
      description?: string;
    };
    expect(refusalOf(enforced)).toBeUndefined();
    expect(JSON.stringify(enforced)).not.toContain("#/definitions/");
    expect(Object.keys(enforced.$defs)).toHaveLength(1);
    // Nothing of the definitions written into a description.
    expect(enforced.description).toBeUndefined();
    const pydanticV1 = {
      type: "object",
      properties: { home: { $ref: "#/definitions/Address" }, age: { type: "integer", minimum: 0 } },
      required: ["home", "age"],
      definitions: { Address: ADDRESS },
    };
    expect(anthropicEnforcedSchema(pydanticV1)).toEqual({
      $defs: { Address: ADDRESS },
      type: "object",
      properties: {
        home: { $ref: "#/$defs/Address" },
        age: { type: "integer", description: "{minimum: 0}" },
      },
      additionalProperties: false,
      required: ["home", "age"],
    });
  });

  test("a record or an object without properties goes as sent, never emptied to {}: Anthropic's 400 says so", () => {
    const record = { type: "object", additionalProperties: { type: "number" } };
    const open = { type: "object" };
    const inside = {
      type: "object",
      properties: {
        scores: record,
        extra: open,
        meta: { type: "object", properties: {}, additionalProperties: true },
      },
      required: ["scores", "extra", "meta"],
      additionalProperties: false,
    };
    expect(anthropicEnforcedSchema(record)).toEqual(record);
    expect(anthropicEnforcedSchema(open)).toEqual(open);
    expect(anthropicEnforcedSchema(inside)).toEqual(inside);
    expect(refusalOf(anthropicEnforcedSchema(inside))).toContain(
      "'additionalProperties' must be explicitly set to false",
    );
  });

  test("a type list with object or array is an anyOf of its types, each held to the subset", () => {
    const sent = {
      type: "object",
      properties: {
        o: {
          type: ["object", "null"],
          description: "maybe",
          properties: { x: { type: "integer", minimum: 1 } },
          required: ["x"],
        },
        l: { type: ["array", "null"], items: { type: "string", minLength: 1 } },
        when: { type: ["string", "null"], format: "date-time" },
        plain: { type: ["string", "null"] },
      },
      required: ["o", "l", "when", "plain"],
      additionalProperties: false,
    };
    const enforced = anthropicEnforcedSchema(sent);
    expect(refusalOf(sent)).toBeDefined();
    expect(refusalOf(enforced)).toBeUndefined();
    expect(enforced).toMatchObject({
      properties: {
        o: {
          description: "maybe",
          anyOf: [
            {
              type: "object",
              properties: { x: { type: "integer", description: "{minimum: 1}" } },
              additionalProperties: false,
              required: ["x"],
            },
            { type: "null" },
          ],
        },
        l: {
          anyOf: [
            { type: "array", items: { type: "string", description: "{minLength: 1}" } },
            { type: "null" },
          ],
        },
        // The format kept, not written into a description.
        when: { anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] },
        plain: { type: ["string", "null"] },
      },
    });
  });

  test("a $ref keeps what is said beside it (its description); a root $ref keeps its $defs", () => {
    const sent = {
      type: "object",
      properties: { a: { $ref: "#/$defs/A", description: "the a" } },
      required: ["a"],
      $defs: { A: { type: "string", minLength: 2 } },
    };
    expect(anthropicEnforcedSchema(sent)).toEqual({
      $defs: { A: { type: "string", description: "{minLength: 2}" } },
      type: "object",
      properties: { a: { $ref: "#/$defs/A", description: "the a" } },
      additionalProperties: false,
      required: ["a"],
    });
    const root = { $ref: "#/definitions/R", definitions: { R: ADDRESS } };
    expect(anthropicEnforcedSchema(root)).toEqual({ $defs: { R: ADDRESS }, $ref: "#/$defs/R" });
    expect(refusalOf(anthropicEnforcedSchema(root))).toBeUndefined();
  });

  test("the caller's schema is not changed, and one sent again is the same answer, reshaped once", () => {
    const sent = { type: "object", properties: { n: { type: "integer", maximum: 9 } } };
    const text = JSON.stringify(sent);
    const first = anthropicEnforcedSchema(sent);
    expect(JSON.stringify(sent)).toBe(text);
    // A new object of the same text, as the next turn's parsed request is.
    expect(anthropicEnforcedSchema(JSON.parse(text))).toBe(first);
  });

  test("a node it cannot reshape, or a schema nested past the stack, goes as sent: the request's own object", () => {
    const loose = { type: "object", properties: { anything: {} } };
    expect(anthropicEnforcedSchema(loose)).toBe(loose);
    // The next request's, of the same text, is its own too: not the first request's object.
    const again = structuredClone(loose);
    expect(anthropicEnforcedSchema(again)).toBe(again);
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 20_000; i++) deep = { type: "object", properties: { x: deep } };
    expect(anthropicEnforcedSchema(deep)).toBe(deep);
  });

  test("a schema with a key `__proto__` (a $defs entry so named) goes as sent, its entry and $ref whole", () => {
    // As JSON.parse reads a caller's body: an own key, which a map built by assignment would lose.
    const sent = JSON.parse(
      '{"type":"object","properties":{"a":{"$ref":"#/$defs/__proto__"}},"required":["a"],"additionalProperties":false,"$defs":{"__proto__":{"type":"string"}}}',
    );
    const out = anthropicEnforcedSchema(sent) as { $defs: Record<string, unknown> };
    expect(Object.hasOwn(out.$defs, "__proto__")).toBe(true);
    expect(out).toBe(sent);
    const again = JSON.parse(JSON.stringify(sent));
    expect(anthropicEnforcedSchema(again)).toBe(again);
  });
});

describe("the fake Anthropic's schema checks", () => {
  test("refuses a dangling $ref, a format it does not know, minProperties", () => {
    expect(
      refusalOf({
        type: "object",
        properties: { a: { $ref: "#/definitions/A" } },
        additionalProperties: false,
      }),
    ).toContain("does not resolve");
    expect(refusalOf({ type: "string", format: "phone" })).toContain("format 'phone' is not supported");
    expect(
      refusalOf({ type: "object", properties: {}, additionalProperties: false, minProperties: 1 }),
    ).toContain("'minProperties' is not supported");
    expect(refusalOf({ type: "string", format: "email" })).toBeUndefined();
  });
});
