import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { anthropicFailure, drained, openaiFailure } from "./harness/sdk-failure.ts";

// An upstream whose dialect ends its stream with a marker (chat's `[DONE]`, Messages'
// `message_stop`) and that stops mid-answer, before its finish and that marker: every caller reads
// the same words, whether the stream was relayed as it came or translated into its dialect — the
// upstream named, its marker missing. A translated one used to read "…before the answer was
// complete", the words for a dialect with no marker (Gemini's, Converse's).

const f = gatewayFixture({
  config: (fakeUrl) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
      { name: "fake-anthropic", type: "anthropic", base_url: fakeUrl },
    ],
    models: [
      { name: "chat-up", routes: [{ provider: "fake", model: "fake-model" }] },
      { name: "messages-up", routes: [{ provider: "fake-anthropic", model: "claude-fake" }] },
    ],
    routing: { retries: 0 },
  }),
});

/** Six deltas, the stream ending after the fourth of its events: mid-answer, no finish, no marker. */
const PROMPT = "one two three four five six [[fake:chunks=6,stopAfter=4]]";
const options = () => ({ apiKey: f.adminKey, maxRetries: 0, timeout: 60_000 });
const openai = () => new OpenAI({ ...options(), baseURL: f.url("/v1") });
const anthropic = () => new Anthropic({ ...options(), baseURL: f.url("") });

/** The failure each official SDK's stream of `model` ends in: its message. */
const callers = {
  chat: async (model: string) =>
    (
      await openaiFailure(
        openai()
          .chat.completions.create({ model, messages: [{ role: "user", content: PROMPT }], stream: true })
          .then(drained),
      )
    ).message,
  responses: async (model: string) =>
    (await openaiFailure(openai().responses.create({ model, input: PROMPT, stream: true }).then(drained)))
      .message,
  messages: async (model: string) =>
    (
      await anthropicFailure(
        anthropic()
          .messages.stream({ model, max_tokens: 64, messages: [{ role: "user", content: PROMPT }] })
          .finalMessage(),
      )
    ).message,
};

describe("a stream cut mid-answer, without its finish and its end marker", () => {
  for (const [model, upstream] of [
    ["chat-up", "fake"],
    ["messages-up", "fake-anthropic"],
  ] as const)
    test(`from ${upstream} (${model}): every caller, relayed or translated, reads that its end marker is missing`, async () => {
      const says = `upstream ${upstream} ended the stream without its end marker`;
      for (const [caller, call] of Object.entries(callers)) {
        const message = await call(model);
        expect({ caller, message }).toEqual({ caller, message: expect.stringContaining(says) });
        expect(message).not.toContain("before the answer was complete");
      }
    });
});
