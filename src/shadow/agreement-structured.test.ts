import { beforeAll, describe, expect, test } from "bun:test";
import { agreementOf } from "./agreement.ts";
import type { Answer } from "./answer.ts";
import { loadSchemaCheck } from "./schema-check.ts";

// The agreement of a pair that asked for structured output: each side's JSON judged by the request's
// schema, as that schema's draft and the gateway's safe subset of it judge (agreement.test.ts: the
// rest of a pair's measures).

// Ajv is loaded before a schema is judged (agreement.ts, `agreementReady`), as the runner does.
beforeAll(loadSchemaCheck);

const text = (t: string, finish: string | null = "stop"): Answer => ({ text: t, toolCalls: [], finish });

describe("agreement measures on a pair", () => {
  test("structured output: each side's JSON validity, with the schema's required keys", () => {
    const request = {
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", schema: { type: "object", required: ["city"] } },
      },
    };
    const pair = agreementOf(request, text('{"city":"Paris"}'), text('{"town":"Paris"}'));
    expect([pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([true, false]);
    const loose = agreementOf({ response_format: { type: "json_object" } }, text("{}"), text("not json"));
    expect([loose.primaryJsonValid, loose.shadowJsonValid]).toEqual([true, false]);
    expect(agreementOf({}, text("{}"), text("{}")).primaryJsonValid).toBeNull();
  });

  test("structured output: the same JSON value is the same answer, whatever its spacing or key order", () => {
    // As OpenAI Evals' JsonMatch compares a JSON completion: decoded, component by component.
    const json = { response_format: { type: "json_object" } };
    const compact = text('{"city":"Paris","tags":["a","b"]}');
    const spaced = text('{\n  "tags": ["a", "b"],\n  "city": "Paris"\n}');
    expect(agreementOf(json, compact, spaced)).toMatchObject({ exact: true, similarity: 1 });
    // A value that differs, an array in another order, or a side that is no JSON is no match.
    expect(agreementOf(json, compact, text('{"city":"Rome","tags":["a","b"]}')).exact).toBe(false);
    expect(agreementOf(json, compact, text('{"city":"Paris","tags":["b","a"]}')).exact).toBe(false);
    expect(agreementOf(json, compact, text('{"city":"Paris","tags":["a","b"]')).exact).toBe(false);
    // The finish still counts, and an answer that asked for no JSON is compared by its text.
    expect(agreementOf(json, compact, text(spaced.text, "length")).exact).toBe(false);
    expect(agreementOf({}, compact, spaced).exact).toBe(false);
  });

  test("structured output is checked against the whole schema: recorded pairs that fail below the top level", () => {
    // A chat completions request as a client sent it (OpenAI structured outputs, strict mode).
    const request = {
      model: "extract",
      messages: [{ role: "user", content: "Extract the order." }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "order",
          strict: true,
          schema: {
            type: "object",
            additionalProperties: false,
            required: ["id", "customer", "items"],
            properties: {
              id: { type: "string", format: "uuid" },
              customer: {
                type: "object",
                additionalProperties: false,
                required: ["name", "tier"],
                properties: { name: { type: "string" }, tier: { enum: ["free", "pro"] } },
              },
              items: {
                type: "array",
                minItems: 1,
                items: { $ref: "#/$defs/item" },
              },
            },
            $defs: {
              item: {
                type: "object",
                additionalProperties: false,
                required: ["sku", "qty"],
                properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } },
              },
            },
          },
        },
      },
    };
    const primary = text(
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2}]}',
    );
    // Each shadow answer has every top-level required key and parses: only a full check fails it.
    const deeper = [
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"gold"},"items":[{"sku":"A1","qty":2}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada"},"items":[{"sku":"A1","qty":2}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":"2"}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2,"note":"x"}]}',
      '{"id":"order-7","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2}]}',
    ];
    for (const answer of deeper) {
      const pair = agreementOf(request, primary, text(answer));
      expect([answer, pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([answer, true, false]);
    }
    // The Responses API's `text.format` carries the schema one level up.
    const responses = {
      text: { format: { type: "json_schema", ...request.response_format.json_schema } },
    };
    expect(agreementOf(responses, primary, text(deeper[0] ?? "")).shadowJsonValid).toBe(false);
    expect(agreementOf(responses, primary, primary).shadowJsonValid).toBe(true);
  });

  test("a schema that cannot be compiled is not judged: no validity recorded, rather than a weaker check", () => {
    const request = {
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "x",
          schema: {
            type: "object",
            required: ["a"],
            properties: { a: { $ref: "https://example.invalid/a.json" } },
          },
        },
      },
    };
    const pair = agreementOf(request, text('{"a":1}'), text('{"b":1}'));
    expect([pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([null, null]);
    // Not JSON at all is invalid whatever the schema.
    expect(agreementOf(request, text('{"a":1}'), text("nope")).shadowJsonValid).toBe(false);
  });

  test("a schema's own draft judges it: the OpenAI SDK's zodResponseFormat (draft-07), 2019-09, 2020-12", () => {
    // As `zodResponseFormat(z.object({ city: z.string(), n: z.number().int() }), "x")` writes it.
    const zodSchema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        city: { type: "string" },
        n: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
      },
      required: ["city", "n"],
      additionalProperties: false,
    };
    const asked = (schema: object) => ({
      response_format: { type: "json_schema", json_schema: { name: "x", strict: true, schema } },
    });
    const valid = text('{"city":"Paris","n":2}');
    // Every top-level key there and JSON: only the whole schema finds them wrong.
    for (const wrong of [
      '{"city":"Paris","n":"2"}',
      '{"city":"Paris","n":2.5}',
      '{"city":"Paris","n":2,"x":1}',
    ]) {
      const pair = agreementOf(asked(zodSchema), valid, text(wrong));
      expect([wrong, pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([wrong, true, false]);
    }
    // Draft-07's array form of `items` (tuples), 2019-09's `$recursiveRef`: each read by its own draft.
    const tuple = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }, { type: "integer" }],
    };
    expect(agreementOf(asked(tuple), text('["a",1]'), text('["a","b"]'))).toMatchObject({
      primaryJsonValid: true,
      shadowJsonValid: false,
    });
    const tree = {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      $recursiveAnchor: true,
      type: "object",
      properties: { kids: { type: "array", items: { $recursiveRef: "#" } } },
      additionalProperties: false,
    };
    expect(
      agreementOf(asked(tree), text('{"kids":[{"kids":[]}]}'), text('{"kids":[{"x":1}]}')),
    ).toMatchObject({
      primaryJsonValid: true,
      shadowJsonValid: false,
    });
    const latest = { ...zodSchema, $schema: "https://json-schema.org/draft/2020-12/schema" };
    expect(agreementOf(asked(latest), valid, text('{"city":"Paris","n":"2"}')).shadowJsonValid).toBe(false);
  });

  test("Anthropic Messages structured output (output_config.format, the beta's output_format) is measured", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const primary = text('{"name":"Ada","age":36}');
    const shadow = text('{"name":"Ada","age":"36"}');
    for (const request of [
      { output_config: { format: { type: "json_schema", schema } } },
      { output_format: { type: "json_schema", schema } },
    ])
      expect(agreementOf(request, primary, shadow)).toMatchObject({
        primaryJsonValid: true,
        shadowJsonValid: false,
      });
    // An effort level alone asks for no structured output.
    expect(agreementOf({ output_config: { effort: "low" } }, primary, shadow).primaryJsonValid).toBeNull();
  });
});

test("a client's catastrophic `pattern` is not run on the gateway: the answer is judged by the rest", async () => {
  const { satisfiesSchema } = await import("./schema-check.ts");
  const schema = {
    type: "object",
    properties: { id: { type: "string", pattern: "^(a+)+$", maxLength: 64 } },
    required: ["id"],
  };
  // Were the pattern applied, this answer would fail it (and a longer one would backtrack for
  // minutes): it passes because only type and length are judged.
  expect(satisfiesSchema(schema, { id: `${"a".repeat(20)}!` })).toBe(true);
  expect(satisfiesSchema(schema, { id: "x".repeat(65) })).toBe(false);
});
