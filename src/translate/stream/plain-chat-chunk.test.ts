import { describe, expect, test } from "bun:test";
import { sseFixture } from "../fixtures/load-fixture.ts";
import { openAIChunk } from "../openai-schema.ts";
import { plainChatChunk } from "./plain-chat-chunk.ts";

/** Whatever the hand check accepts, zod accepts too, and reads the same. */
function agrees(body: unknown): boolean {
  const plain = plainChatChunk(body);
  if (plain === undefined) return false;
  const judged = openAIChunk.safeParse(body);
  expect(judged.success).toBe(true);
  expect(plain).toEqual(judged.data!);
  return true;
}

describe("plainChatChunk", () => {
  test("takes the recorded text stream's chunks, as zod reads them", () => {
    const bodies = sseFixture("openai/chat-text.sse.txt")
      .filter((event) => event.data !== "[DONE]")
      .map((event) => JSON.parse(event.data));
    const taken = bodies.filter(agrees);
    expect(taken.length).toBeGreaterThan(0);
  });

  test("leaves tool calls and usage to zod", () => {
    const bodies = sseFixture("openai/chat-tool-calls.sse.txt")
      .filter((event) => event.data !== "[DONE]")
      .map((event) => JSON.parse(event.data));
    for (const body of bodies) {
      agrees(body);
      const choices = (body as { choices?: { delta?: { tool_calls?: unknown } }[] }).choices ?? [];
      if (choices.some((c) => c.delta?.tool_calls) || (body as { usage?: unknown }).usage)
        expect(plainChatChunk(body)).toBeUndefined();
    }
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
    ["usage", { choices: [], usage: { prompt_tokens: 1 } }],
  ])("leaves %s to zod", (_name, body) => {
    expect(plainChatChunk(body)).toBeUndefined();
  });

  test("what it leaves, zod may still take (usage) or refuse (a null id)", () => {
    expect(openAIChunk.safeParse({ choices: [], usage: { prompt_tokens: 1 } }).success).toBe(true);
    expect(openAIChunk.safeParse({ id: null, choices: [] }).success).toBe(false);
  });
});
