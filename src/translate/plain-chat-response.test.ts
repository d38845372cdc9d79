import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { jsonFixture } from "./fixtures/load-fixture.ts";
import { openAIChatResponse } from "./openai-schema.ts";
import { plainChatResponse, readChatResponse } from "./plain-chat-response.ts";
import { agreesWithZod } from "./testing/agrees-with-zod.ts";

/** Whatever the hand check accepts, zod accepts too, and reads the same. */
const agrees = agreesWithZod(plainChatResponse, openAIChatResponse);

const text = (message: object, extra: object = {}) => ({
  id: "c",
  choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }],
  ...extra,
});

describe("plainChatResponse", () => {
  test("takes the recorded text answer, as zod reads it", () => {
    expect(agrees(jsonFixture("openai/chat-text.json"))).toBe(true);
  });

  test("leaves the recorded tool-call answer to zod", () => {
    const body = jsonFixture("openai/chat-tool-calls.json");
    expect(plainChatResponse(body)).toBeUndefined();
    expect(openAIChatResponse.safeParse(body).success).toBe(true);
  });

  test("takes reasoning of any shape, a refusal, a numeric stop reason, no choices and null usage", () => {
    expect(agrees(text({ content: "a", reasoning_content: { x: 1 }, reasoning: [1] }))).toBe(true);
    expect(agrees(text({ content: null, refusal: "no" }))).toBe(true);
    expect(agrees({ choices: [{ message: {}, finish_reason: null, stop_reason: 7 }], usage: null })).toBe(
      true,
    );
    expect(agrees({ choices: [] })).toBe(true);
  });

  test.each([
    ["not an object", "text"],
    ["an array", []],
    ["no choices", { id: "c" }],
    ["a null id", text({ content: "a" }, { id: null })],
    ["a text created", text({ content: "a" }, { created: "1" })],
    ["a choice without a message", { choices: [{ finish_reason: "stop" }] }],
    ["a null message", { choices: [{ message: null }] }],
    ["a numeric content", text({ content: 1 })],
    ["content parts", text({ content: [{ type: "text", text: "a" }] })],
    [
      "tool calls",
      text({ tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{}" } }] }),
    ],
    ["a numeric finish reason", { choices: [{ message: {}, finish_reason: 1 }] }],
    ["a boolean stop reason", { choices: [{ message: {}, stop_reason: true }] }],
    ["text token counts", text({ content: "a" }, { usage: { prompt_tokens: "1" } })],
    ["usage that is text", text({ content: "a" }, { usage: "none" })],
  ])("leaves %s to zod", (_name, body) => {
    expect(plainChatResponse(body)).toBeUndefined();
  });

  test("an answer neither reads is refused as before: a 502 naming the field", () => {
    const refused = (() => {
      try {
        return readChatResponse({ choices: [{ message: { content: 1 } }] });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).status).toBe(502);
    expect((refused as GatewayError).message).toContain("choices.0.message.content");
  });
});
