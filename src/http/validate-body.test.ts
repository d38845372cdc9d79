import { describe, expect, test } from "bun:test";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { REQUEST_SCHEMAS } from "./request-schemas.ts";
import { validateBody } from "./validate-body.ts";

const messages = [{ role: "user", content: "hi" }];
const bodies: JsonObject[] = [
  { model: "m", messages },
  { model: "m", messages, stream: true },
  { model: "m", messages, stream: false, max_tokens: 16 },
  { model: "m", input: "hi" },
  { model: "m", prompt: "hi" },
  { model: "m", prompt: null },
  { model: "", messages },
  { messages },
  { model: 7, messages },
  { model: "m", messages, stream: "yes" },
  { model: "m", messages: "hi" },
  { model: "m", messages, max_tokens: 0 },
  { model: "m", messages, max_tokens: 1.5 },
  { model: "m", messages, max_tokens: "16" },
  { model: "m", messages, max_tokens: 2 ** 60 },
  { model: "m", stream: null },
  { model: "m", messages, stream: null, max_tokens: 16 },
  { model: "m", input: "hi", stream: null },
  { model: "m".repeat(256), messages, max_tokens: 16, input: "hi", prompt: "hi" },
  { model: "m".repeat(257), messages, max_tokens: 16, input: "hi", prompt: "hi" },
];
const operations = Object.keys(REQUEST_SCHEMAS) as Operation[];

describe("validateBody", () => {
  // The plain-shape fast path must decide exactly as the schema would, for every operation.
  for (const operation of operations)
    test(`${operation}: accepts and refuses as its schema does`, () => {
      for (const body of bodies) {
        const schema = REQUEST_SCHEMAS[operation].safeParse(body);
        if (schema.success) expect(validateBody(operation, body)).toBe(schema.data.model);
        else expect(() => validateBody(operation, body)).toThrow(GatewayError);
      }
    });

  test("stream: null is as good as absent, as OpenAI's SDKs type it, for chat and Responses; Messages takes a boolean only, as Anthropic's API does", () => {
    expect(validateBody("chat", { model: "m", messages, stream: null })).toBe("m");
    expect(() => validateBody("messages", { model: "m", messages, max_tokens: 16, stream: null })).toThrow(
      "stream must be a boolean",
    );
    expect(validateBody("responses", { model: "m", input: "hi", stream: null })).toBe("m");
    expect(() => validateBody("responses", { model: "m", input: "hi", stream: "yes" })).toThrow(
      "stream must be a boolean",
    );
  });

  test("a refusal names the field at fault", () => {
    try {
      validateBody("messages", { model: "m", messages, max_tokens: 0 });
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).param).toBe("max_tokens");
    }
  });

  test("a model name past 256 characters is refused for every operation, the name not echoed", () => {
    for (const operation of operations) {
      const body = { model: "llama".repeat(120_000), messages, max_tokens: 16, input: "hi", prompt: "hi" };
      const error = (() => {
        try {
          return validateBody(operation, body);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toMatchObject({
        status: 400,
        param: "model",
        code: "invalid_request",
        message: "model must be at most 256 characters",
      });
    }
  });
});
