import { expect, test } from "bun:test";
import { answeredModel } from "./answered-model.ts";
import { jsonFixture, sseFixture } from "./fixtures/load-fixture.ts";
import { parseEventData } from "./parse-body.ts";
import { StreamUsageMeter } from "./stream-usage-meter.ts";

test("the model an answer says answered, from every body that reports usage", () => {
  // Recorded answers: OpenAI's dated snapshot for the name asked, Anthropic's message_start.
  expect(answeredModel(jsonFixture("openai/chat-tool-calls.json"))).toBe("gpt-4o-mini-2024-07-18");
  const started = sseFixture("anthropic/message-tool-use.sse.txt").find((e) => e.event === "message_start");
  expect(answeredModel(parseEventData(started?.data ?? ""))).toBe("claude-sonnet-4-5-20250929");
  // A Responses response, or the event that carries it.
  const response = { object: "response", model: "gpt-5-2025-08-07", usage: { input_tokens: 1 } };
  expect(answeredModel(response)).toBe("gpt-5-2025-08-07");
  expect(answeredModel({ type: "response.completed", response })).toBe("gpt-5-2025-08-07");
  // None named, or not a name.
  expect(answeredModel({ choices: [], usage: { prompt_tokens: 1 } })).toBeUndefined();
  expect(answeredModel({ model: 42, message: { model: null } })).toBeUndefined();
  expect(answeredModel("gpt-4o")).toBeUndefined();
});

test("a stream's meter keeps the model named beside its usage, read with it, in both dialects", () => {
  const openai = new StreamUsageMeter("openai");
  for (const event of sseFixture("openai/chat-text.sse.txt")) openai.observe(event);
  expect(openai.model).toBe("gpt-4o-mini-2024-07-18");
  const anthropic = new StreamUsageMeter("anthropic");
  for (const event of sseFixture("anthropic/message-tool-use.sse.txt")) anthropic.observe(event);
  expect(anthropic.model).toBe("claude-sonnet-4-5-20250929");
  // A translator's figures come with the model its event named; the first named stands.
  const translated = new StreamUsageMeter("openai");
  translated.record({ inputTokens: 3, outputTokens: 0 });
  translated.record({ inputTokens: 3, outputTokens: 1 }, "claude-haiku-4-5-20251001");
  translated.record({ inputTokens: 3, outputTokens: 9 }, "other");
  expect([translated.model, translated.usage?.outputTokens]).toEqual(["claude-haiku-4-5-20251001", 9]);
});
