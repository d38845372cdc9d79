import { describe, expect, test } from "bun:test";
import { sseFixture } from "../fixtures/load-fixture.ts";
import { openAISchemas } from "../openai-schema.ts";
import { agreesWithZod } from "../testing/agrees-with-zod.ts";
import { plainChatChunk } from "./plain-chat-chunk.ts";

const openAIChunk = openAISchemas().chunk;
/** Whatever the hand check accepts, zod accepts too, and reads the same. */
const agrees = agreesWithZod(plainChatChunk, openAIChunk);

describe("plainChatChunk", () => {
  test("takes the recorded text stream's chunks, as zod reads them", () => {
    const bodies = sseFixture("openai/chat-text.sse.txt")
      .filter((event) => event.data !== "[DONE]")
      .map((event) => JSON.parse(event.data));
    const taken = bodies.filter(agrees);
    expect(taken.length).toBeGreaterThan(0);
  });

  test("takes the usage chunk and leaves tool calls to zod", () => {
    const bodies = sseFixture("openai/chat-tool-calls.sse.txt")
      .filter((event) => event.data !== "[DONE]")
      .map((event) => JSON.parse(event.data));
    const hasCalls = (body: { choices?: { delta?: { tool_calls?: unknown } }[] }) =>
      (body.choices ?? []).some((c) => c.delta?.tool_calls);
    expect(bodies.some(hasCalls)).toBe(true);
    for (const body of bodies) expect(agrees(body)).toBe(!hasCalls(body));
    expect(agrees({ choices: [], usage: { prompt_tokens: 1, prompt_tokens_details: null } })).toBe(true);
    // MiniMax's usage chunk says choices null.
    expect(agrees({ choices: null, usage: { prompt_tokens: 1, completion_tokens: 2 } })).toBe(true);
    expect(
      agrees({
        choices: [],
        usage: {
          prompt_tokens: 1,
          completion_tokens: 2,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        },
      }),
    ).toBe(true);
  });

  test("keeps unknown fields and reasoning of any shape, as the loose schema does", () => {
    const body = {
      id: "c",
      object: "chat.completion.chunk",
      system_fingerprint: "fp",
      choices: [
        { index: 0, delta: { content: "hi", reasoning: { text: "x" }, role: "assistant" }, logprobs: null },
      ],
    };
    expect(agrees(body)).toBe(true);
  });

  test.each([
    ["not an object", "text"],
    ["an array", []],
    ["a null id", { id: null, choices: [] }],
    ["a text created", { created: "1", choices: [] }],
    ["choices not an array", { choices: {} }],
    ["a fractional index", { choices: [{ index: 0.5, delta: {} }] }],
    ["an index past the safe integers", { choices: [{ index: 2 ** 53, delta: {} }] }],
    ["a numeric content", { choices: [{ delta: { content: 1 } }] }],
    ["an array delta", { choices: [{ delta: [] }] }],
    ["a numeric finish reason", { choices: [{ finish_reason: 1 }] }],
    ["a boolean stop reason", { choices: [{ stop_reason: true }] }],
    ["usage that is an array", { choices: [], usage: [] }],
    ["text token counts", { choices: [], usage: { prompt_tokens: "1" } }],
    ["cached tokens as text", { choices: [], usage: { prompt_tokens_details: { cached_tokens: "1" } } }],
    ["token details that are a number", { choices: [], usage: { prompt_tokens_details: 1 } }],
  ])("leaves %s to zod", (_name, body) => {
    expect(plainChatChunk(body)).toBeUndefined();
  });

  test("what it leaves, zod may still take (tool calls) or refuse (a null id)", () => {
    const call = { index: 0, id: "c", function: { name: "f", arguments: "" } };
    expect(openAIChunk.safeParse({ choices: [{ delta: { tool_calls: [call] } }] }).success).toBe(true);
    expect(openAIChunk.safeParse({ id: null, choices: [] }).success).toBe(false);
  });
});
