import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { drain, payloads, replay } from "../fixtures/load-fixture.ts";
import { messagesResponseToChat } from "./messages-response-to-chat.ts";
import { messagesStreamToChat } from "./messages-stream-to-chat.ts";

// Claude's web search citations in a chat stream: OpenAI's search models stream theirs as
// `delta.annotations` in a chunk after the text, over the whole content; so does this route, the
// same annotations the whole answer has.

const PAGE = {
  type: "web_search_result_location",
  url: "https://example.com/paris",
  title: "Paris — Wikipédia",
  encrypted_index: "Eo8BCioIAhgBIiQ…",
  cited_text: "Paris is the capital of France.",
};
const OTHER = { ...PAGE, url: "https://example.com/louvre", title: "Louvre" };

/** Anthropic's answer to a web search, streamed: a plain block, two cited blocks, as Claude writes them. */
const EVENTS = [
  {
    type: "message_start",
    message: { id: "msg_1", type: "message", role: "assistant", content: [], usage: { input_tokens: 9 } },
  },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Here is what I found: " } },
  { type: "content_block_stop", index: 0 },
  { type: "content_block_start", index: 1, content_block: { type: "text", text: "", citations: [] } },
  { type: "content_block_delta", index: 1, delta: { type: "citations_delta", citation: PAGE } },
  { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Paris is France's " } },
  { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "capital 🇫🇷." } },
  { type: "content_block_stop", index: 1 },
  { type: "content_block_start", index: 2, content_block: { type: "text", text: "", citations: [] } },
  { type: "content_block_delta", index: 2, delta: { type: "citations_delta", citation: OTHER } },
  { type: "content_block_delta", index: 2, delta: { type: "citations_delta", citation: PAGE } },
  { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: " The Louvre is there." } },
  { type: "content_block_stop", index: 2 },
  { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 30 } },
  { type: "message_stop" },
];

/** The same answer whole, as the translation of a whole answer reads it. */
const WHOLE = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [
    { type: "text", text: "Here is what I found: " },
    { type: "text", text: "Paris is France's capital 🇫🇷.", citations: [PAGE] },
    { type: "text", text: " The Louvre is there.", citations: [OTHER, PAGE] },
  ],
  stop_reason: "end_turn",
  usage: { input_tokens: 9, output_tokens: 30 },
};

type Chunk = { choices: { index: number; delta: JsonObject; finish_reason: string | null }[] };

describe("Claude's web citations in a chat stream", () => {
  test("one delta.annotations chunk after the text, before the finish: the whole answer's annotations", async () => {
    const out = payloads(
      await drain(
        messagesStreamToChat(
          replay(EVENTS.map((event) => ({ event: event.type, data: JSON.stringify(event) }))),
          { requestedModel: "claude", includeUsage: false, created: 1 },
        ),
      ),
    ).filter((chunk): chunk is Chunk => typeof chunk !== "string");
    const choices = out.flatMap((chunk) => chunk.choices);
    const content = choices.map((choice) => choice.delta.content ?? "").join("");
    const whole = messagesResponseToChat(WHOLE, "claude", { created: 1 });
    const message = (whole.choices as { message: JsonObject }[])[0]?.message;
    expect(content).toBe(String(message?.content));
    const annotated = choices.filter((choice) => choice.delta.annotations !== undefined);
    expect(annotated).toEqual([
      { index: 0, delta: { annotations: message?.annotations }, logprobs: null, finish_reason: null },
    ] as never);
    expect(message?.annotations).toHaveLength(3);
    // After the last text, before the finish chunk.
    const at = choices.findIndex((choice) => choice.delta.annotations !== undefined);
    expect(choices.slice(at + 1).every((choice) => choice.delta.content === undefined)).toBe(true);
    expect(choices.at(-1)?.finish_reason).toBe("stop");
    expect(at).toBe(choices.length - 2);
  });

  test("a stream with no citations has no annotations chunk", async () => {
    const plain = EVENTS.filter((event) => event.delta?.type !== "citations_delta");
    const out = payloads(
      await drain(
        messagesStreamToChat(
          replay(plain.map((event) => ({ event: event.type, data: JSON.stringify(event) }))),
          { requestedModel: "claude", includeUsage: false, created: 1 },
        ),
      ),
    ).filter((chunk): chunk is Chunk => typeof chunk !== "string");
    expect(out.flatMap((chunk) => chunk.choices).some((choice) => "annotations" in choice.delta)).toBe(false);
  });
});
