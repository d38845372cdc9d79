import { describe, expect, test } from "bun:test";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";

// A chat request's response_format and strict tools as Anthropic's output_config and the JSON Schema
// subset it enforces.

describe("chatRequestToMessages: structured output", () => {
  test("response_format json_schema becomes a system instruction", () => {
    const body = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
    });
    expect(body.system).toContain('{"type":"object"}');
  });

  test("reasoning_effort and a json_schema format become output_config", () => {
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      reasoning_effort: "minimal",
      response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
    });
    // An object that names no properties goes as sent: closed, the model could answer only `{}`.
    expect(out.output_config).toEqual({
      effort: "low",
      format: { type: "json_schema", schema: { type: "object" } },
    });
  });

  // zod v4's `z.object({ name: z.string().min(1), age: z.number().int().min(0).max(150) })`, as the
  // OpenAI SDK's parse helpers, the AI SDK, LangChain and the Agents SDK send it.
  const PERSON = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      age: { type: "integer", minimum: 0, maximum: 150 },
      tags: { type: "array", items: { type: "string", format: "hostname" }, minItems: 2 },
      pet: { oneOf: [{ type: "object", properties: { kind: { type: "string" } } }, { type: "null" }] },
    },
    required: ["name", "age", "tags", "pet"],
    additionalProperties: false,
  };
  const ANTHROPIC_PERSON = {
    type: "object",
    properties: {
      name: { type: "string", description: "{minLength: 1}" },
      age: { type: "integer", description: "{minimum: 0, maximum: 150}" },
      tags: { type: "array", items: { type: "string", format: "hostname" }, description: "{minItems: 2}" },
      pet: {
        anyOf: [
          { type: "object", properties: { kind: { type: "string" } }, additionalProperties: false },
          { type: "null" },
        ],
      },
    },
    additionalProperties: false,
    required: ["name", "age", "tags", "pet"],
  };

  test("a json_schema format is held to what Anthropic enforces, strict or not: bounds said in descriptions, objects closed", () => {
    for (const strict of [true, false, undefined]) {
      const out = chatRequestToMessages({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict } },
      });
      expect(out.output_config).toEqual({ format: { type: "json_schema", schema: ANTHROPIC_PERSON } });
      // The model still reads the schema as sent, bounds and all.
      expect(out.system).toContain(JSON.stringify(PERSON));
    }
  });

  test("a strict tool's parameters are held to Anthropic's subset; a tool that is not strict goes as sent", () => {
    const tool = (strict: boolean) => ({
      type: "function",
      function: { name: "f", parameters: PERSON, strict },
    });
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [tool(true), tool(false)],
    });
    expect(out.tools).toEqual([
      { name: "f", input_schema: ANTHROPIC_PERSON, strict: true },
      { name: "f", input_schema: PERSON },
    ]);
  });

  test("a schema the subset cannot say (a property of any type) goes as sent, for Anthropic to refuse", () => {
    const loose = { type: "object", properties: { anything: {} } };
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_schema", json_schema: { name: "r", schema: loose } },
    });
    expect(out.output_config).toEqual({ format: { type: "json_schema", schema: loose } });
  });
});
