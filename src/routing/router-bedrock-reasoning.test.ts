import { describe, expect, test } from "bun:test";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { messageOf, messagesCall, responsesCall, routed, streamed, whole } from "./bedrock-router-kit.ts";
import { chatRequest } from "./router-test-kit.ts";

// Bedrock Converse's reasoning (`reasoningContent`) and cache counts through the router to each
// caller's dialect, from the real Bedrock provider (bedrock-router-kit.ts).

/** Claude thinking on Bedrock: a signed block, a redacted one, another signed one, then the answer. */
const CLAUDE: CloudAnswer = {
  text: "It is sunny in Paris.",
  inputTokens: 40,
  outputTokens: 90,
  reasoning: [
    { text: "The user asks about Paris. Weather first.", signature: "sig-one" },
    { redacted: "RXJtZW5jcnlwdGVk" },
    { text: "Then say it briefly.", signature: "sig-two" },
  ],
  cache: { read: 800, write: 200 },
};

/** DeepSeek-R1 on Bedrock: one block of reasoning, no signature. */
const R1: CloudAnswer = {
  text: "42.",
  inputTokens: 12,
  outputTokens: 30,
  reasoning: [{ text: "Six times seven is forty-two." }],
};

/** Anthropic's events as a client reads them: each thinking block whole, with its signature. */
function messagesBlocks(events: JsonObject[]): JsonObject[] {
  const blocks: JsonObject[] = [];
  for (const event of events) {
    if (event.type === "content_block_start" && isJsonObject(event.content_block))
      blocks.push({ ...event.content_block });
    const delta = isJsonObject(event.delta) ? event.delta : undefined;
    const block = blocks.at(-1);
    if (event.type !== "content_block_delta" || !delta || !block) continue;
    if (delta.type === "thinking_delta") block.thinking = `${block.thinking}${delta.thinking}`;
    if (delta.type === "signature_delta") block.signature = `${block.signature}${delta.signature}`;
    if (delta.type === "text_delta") block.text = `${block.text}${delta.text}`;
  }
  return blocks;
}

const CLAUDE_BLOCKS = [
  { type: "thinking", thinking: "The user asks about Paris. Weather first.", signature: "sig-one" },
  { type: "redacted_thinking", data: "RXJtZW5jcnlwdGVk" },
  { type: "thinking", thinking: "Then say it briefly.", signature: "sig-two" },
  { type: "text", text: "It is sunny in Paris." },
];

describe("Converse reasoning reaches each caller as its dialect carries reasoning", () => {
  test("a chat caller: the blocks' text as reasoning_content, joined by a blank line, whole and streamed alike; no chunk of its own for a signature or a redacted block", async () => {
    const { router } = routed(CLAUDE);
    const answer = whole(await router(chatRequest("m")));
    const message = messageOf(answer);
    expect(message.reasoning_content).toBe(
      "The user asks about Paris. Weather first.\n\nThen say it briefly.",
    );
    expect(message.content).toBe("It is sunny in Paris.");

    const chunks = await streamed(await router(chatRequest("m", { stream: true })));
    const deltas = chunks.flatMap((chunk) =>
      ((chunk.choices as JsonObject[] | undefined) ?? []).map((choice) => choice.delta as JsonObject),
    );
    const reasoning = deltas.flatMap((delta) =>
      typeof delta.reasoning_content === "string" ? [delta.reasoning_content] : [],
    );
    expect(reasoning.join("")).toBe(message.reasoning_content as string);
    // Every chunk says something: the role, reasoning, text, or the finish.
    const empty = deltas.filter((delta) => Object.keys(delta).length === 0);
    expect(empty).toHaveLength(1);
    expect(JSON.stringify(chunks)).not.toContain("sig-one");
    expect(JSON.stringify(chunks)).not.toContain("RXJtZW5jcnlwdGVk");
  });

  test("an Anthropic caller (Claude Code): thinking blocks each with Claude's signature, the redacted one as redacted_thinking, whole and streamed alike", async () => {
    const { router } = routed(CLAUDE);
    const answer = whole(await router(chatRequest("m", messagesCall(false))));
    expect(answer.content).toEqual(CLAUDE_BLOCKS);
    const events = await streamed(await router(chatRequest("m", messagesCall(true))));
    expect(messagesBlocks(events)).toEqual(CLAUDE_BLOCKS);
    // Each block opened and closed in turn, as Claude streams them.
    const kinds = events.flatMap((event) =>
      event.type === "content_block_start" || event.type === "content_block_stop"
        ? [`${String(event.type).replace("content_block_", "")} ${event.index}`]
        : [],
    );
    expect(kinds).toEqual([
      "start 0",
      "stop 0",
      "start 1",
      "stop 1",
      "start 2",
      "stop 2",
      "start 3",
      "stop 3",
    ]);
  });

  test("thinking Claude left unshown (a signature, no text) is still its block, signed, whole and streamed: Claude takes the turn back only with it", async () => {
    const unshown: CloudAnswer = { ...R1, reasoning: [{ text: "", signature: "sig-only" }] };
    const { router } = routed(unshown);
    const answer = whole(await router(chatRequest("m", messagesCall(false))));
    const blocks = [
      { type: "thinking", thinking: "", signature: "sig-only" },
      { type: "text", text: "42." },
    ];
    expect(answer.content).toEqual(blocks);
    expect(messagesBlocks(await streamed(await router(chatRequest("m", messagesCall(true)))))).toEqual(
      blocks,
    );
    // A chat caller has nothing to read of it.
    expect(messageOf(whole(await router(chatRequest("m")))).reasoning_content).toBeUndefined();
  });

  test("a model that signs nothing (DeepSeek-R1): its reasoning an unsigned thinking block to an Anthropic caller, reasoning_content to a chat caller", async () => {
    const { router } = routed(R1);
    const answer = whole(await router(chatRequest("m", messagesCall(false))));
    expect(answer.content).toEqual([
      { type: "thinking", thinking: "Six times seven is forty-two.", signature: "" },
      { type: "text", text: "42." },
    ]);
    const events = await streamed(await router(chatRequest("m", messagesCall(true))));
    expect(messagesBlocks(events)).toEqual(answer.content as JsonObject[]);
    const chat = whole(await router(chatRequest("m")));
    expect(messageOf(chat).reasoning_content).toBe("Six times seven is forty-two.");
  });

  test("a Responses caller: a reasoning item a block, whole and streamed alike, then the message", async () => {
    const { router } = routed(CLAUDE);
    const items = (response: JsonObject) =>
      (response.output as JsonObject[]).map((item) =>
        item.type === "reasoning"
          ? `reasoning: ${(item.summary as JsonObject[]).map((part) => part.text).join("")}`
          : `${item.type}: ${((item.content as JsonObject[] | undefined) ?? []).map((part) => part.text).join("")}`,
      );
    const expected = [
      "reasoning: The user asks about Paris. Weather first.",
      "reasoning: Then say it briefly.",
      "message: It is sunny in Paris.",
    ];
    expect(items(whole(await router(chatRequest("m", responsesCall(false)))))).toEqual(expected);
    const events = await streamed(await router(chatRequest("m", responsesCall(true))));
    const completed = events.find((event) => event.type === "response.completed");
    const response = completed?.response;
    expect(items(response as JsonObject)).toEqual(expected);
  });
});

describe("Converse cache counts reach each caller, and the bill", () => {
  test("reads and writes, beside inputTokens on Converse, are in each caller's prompt once: chat's cached_tokens, Anthropic's cache_read/cache_creation, the bill's cached and written tokens", async () => {
    const { router } = routed(CLAUDE);
    const billed = { inputTokens: 1040, outputTokens: 90, cachedInputTokens: 800, cacheWriteTokens: 200 };
    for (const stream of [false, true]) {
      const chat = await router(chatRequest("m", { stream, body: chatBody(stream) }));
      const usage = stream ? (await streamed(chat)).at(-1)?.usage : whole(chat).usage;
      expect(usage).toEqual({
        prompt_tokens: 1040,
        completion_tokens: 90,
        total_tokens: 1130,
        prompt_tokens_details: { cached_tokens: 800, cache_write_tokens: 200 },
      });
      expect(chat.usage()).toEqual(billed);

      const messages = await router(chatRequest("m", messagesCall(stream)));
      const told = stream
        ? (await streamed(messages)).find((event) => event.type === "message_delta")?.usage
        : whole(messages).usage;
      expect(told).toMatchObject({
        input_tokens: 40,
        cache_creation_input_tokens: 200,
        cache_read_input_tokens: 800,
        output_tokens: 90,
      });
      expect(messages.usage()).toEqual(billed);
    }
  });
});

const chatBody = (stream: boolean): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  stream,
  ...(stream ? { stream_options: { include_usage: true } } : {}),
});
