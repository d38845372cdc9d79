import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import {
  chatRequestToCountTokens,
  countTokensToMessages,
} from "./openai-to-bedrock/count-tokens-to-converse.ts";
import {
  chatRequestToGeminiCount,
  chatRequestToVertexCount,
  googleCountToMessages,
} from "./openai-to-gemini/count-tokens-to-gemini.ts";

// A count_tokens call (already translated to chat) to each vendor's counter: what is counted is
// what the request would send, the generation settings left out; the count comes back as Anthropic's.

const CHAT = {
  model: "m",
  messages: [
    { role: "system", content: "be brief" },
    { role: "user", content: "hi" },
  ],
  tools: [{ type: "function", function: { name: "t", parameters: { type: "object" } } }],
  temperature: 0.2,
  stop: ["END"],
};

test("Bedrock: input.converse with messages, system and tools, no inferenceConfig", () => {
  expect(chatRequestToCountTokens(CHAT)).toEqual({
    input: {
      converse: {
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        system: [{ text: "be brief" }],
        toolConfig: {
          tools: [{ toolSpec: { name: "t", inputSchema: { json: { type: "object" } } } }],
        },
      },
    },
  });
  expect(countTokensToMessages({ inputTokens: 42 })).toEqual({ input_tokens: 42 });
});

test("Google: the Gemini API's generateContentRequest names the model; Vertex takes the fields as they are", () => {
  const vertex = chatRequestToVertexCount(CHAT);
  expect(Object.keys(vertex).toSorted()).toEqual(["contents", "systemInstruction", "tools"]);
  expect(chatRequestToGeminiCount("gemini-2.5-flash", CHAT)).toEqual({
    generateContentRequest: { model: "models/gemini-2.5-flash", ...vertex },
  });
  expect(googleCountToMessages({ totalTokens: 7, totalBillableCharacters: 30 })).toEqual({ input_tokens: 7 });
});

test("an answer without its count is the upstream's fault: a 502", () => {
  for (const read of [() => countTokensToMessages({ tokens: 1 }), () => googleCountToMessages({})]) {
    const error = gatewayErrorOf(read);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.status).toBe(502);
  }
});
