import { expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { messagesRequestToChat } from "./anthropic-to-openai/messages-request-to-chat.ts";
import { chatRequestToMessages } from "./openai-to-anthropic/chat-request-to-messages.ts";
import { chatRequestToConverse } from "./openai-to-bedrock/chat-request-to-converse.ts";
import { chatRequestToGemini } from "./openai-to-gemini/chat-request-to-gemini.ts";
import { responsesRequestToChat } from "./responses/responses-request-to-chat.ts";

// A type no translation knows, 256 KB long: the 400 quoting it went, whole, to the caller, the
// access line and the audit row, each read by the redaction's patterns (a second and more of the
// event loop's). Each translation quotes it cut at 256 characters.
const LONG = `x-${"a-".repeat(128_000)}`;
const CUT = `${LONG.slice(0, 256)}…`;

/** The 400's message, or what else came out. */
function refusal(translate: () => unknown): unknown {
  try {
    translate();
  } catch (error) {
    return error instanceof GatewayError ? [error.status, error.message] : error;
  }
  return "translated";
}

const chat = (part: JsonObject): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content: [part] }],
});

test.each([
  ["Anthropic", (body: JsonObject) => chatRequestToMessages(body)],
  ["Gemini", chatRequestToGemini],
  ["Bedrock", chatRequestToConverse],
])("a chat content part's long type is quoted cut for %s", (_, translate) => {
  expect(refusal(() => translate(chat({ type: LONG })))).toEqual([
    400,
    `messages.0.content.0: content part "${CUT}" is not supported on this model`,
  ]);
});

test("a Responses content part's long type is quoted cut", () => {
  const body = { model: "m", input: [{ role: "user", content: [{ type: LONG }] }] };
  expect(refusal(() => responsesRequestToChat(body))).toEqual([
    400,
    `input[0].content[0]: part "${CUT}" is not supported on this model`,
  ]);
});

test("a Messages image's long source type is quoted cut", () => {
  const body = {
    model: "m",
    max_tokens: 1,
    messages: [{ role: "user", content: [{ type: "image", source: { type: LONG } }] }],
  };
  expect(refusal(() => messagesRequestToChat(body))).toEqual([
    400,
    `messages.0.content.0.image.source: Input tag '${CUT}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`,
  ]);
});
