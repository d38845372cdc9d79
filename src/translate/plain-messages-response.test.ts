import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { anthropicResponse } from "./anthropic-schema.ts";
import { jsonFixture } from "./fixtures/load-fixture.ts";
import { plainMessagesResponse, readMessagesResponse } from "./plain-messages-response.ts";
import { agreesWithZod } from "./testing/agrees-with-zod.ts";

/** Whatever the hand check accepts, zod accepts too, and reads the same. */
const agrees = agreesWithZod(plainMessagesResponse, anthropicResponse);

const message = (extra: object = {}) => ({
  id: "msg_1",
  type: "message",
  content: [{ type: "text", text: "hi", citations: null }],
  stop_reason: "end_turn",
  ...extra,
});

describe("plainMessagesResponse", () => {
  test("takes the recorded text answer, as zod reads it", () => {
    expect(agrees(jsonFixture("anthropic/message-text.json"))).toBe(true);
  });

  test("leaves the recorded tool-use answer to zod", () => {
    const body = jsonFixture("anthropic/message-tool-use.json");
    expect(plainMessagesResponse(body)).toBeUndefined();
    expect(anthropicResponse.safeParse(body).success).toBe(true);
  });

  test("takes no content, no usage, null stops and usage with fields of its own", () => {
    expect(agrees(message({ content: [], stop_reason: null, stop_sequence: null }))).toBe(true);
    expect(
      agrees(message({ usage: { input_tokens: 1, output_tokens: null, server_tool_use: { n: 1 } } })),
    ).toBe(true);
  });

  test.each([
    ["not an object", "text"],
    ["no id", { content: [] }],
    ["a numeric id", message({ id: 1 })],
    ["no content", { id: "m" }],
    ["text content", message({ content: "hi" })],
    ["a thinking block", message({ content: [{ type: "thinking", thinking: "x", signature: "" }] })],
    ["a text block without text", message({ content: [{ type: "text" }] })],
    ["a tool-use block", message({ content: [{ type: "tool_use", id: "t", name: "f", input: {} }] })],
    ["a numeric stop reason", message({ stop_reason: 1 })],
    ["null usage", message({ usage: null })],
    ["text token counts", message({ usage: { output_tokens: "3" } })],
  ])("leaves %s to zod", (_name, body) => {
    expect(plainMessagesResponse(body)).toBeUndefined();
  });

  test("an answer neither reads is refused as before: a 502 naming the field", () => {
    const refused = (() => {
      try {
        return readMessagesResponse({ id: "m", content: [{ text: "a block without a type" }] });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).status).toBe(502);
  });
});
