import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { Dropped } from "./dropped.ts";
import { drain, jsonFixture, payloads, replay, sseFixture } from "./fixtures/load-fixture.ts";
import { chatRequestToMessages } from "./openai-to-anthropic/chat-request-to-messages.ts";
import { messagesResponseToChat } from "./openai-to-anthropic/messages-response-to-chat.ts";
import { messagesStreamToChat } from "./openai-to-anthropic/messages-stream-to-chat.ts";
import { chatResponseToResponse } from "./responses/chat-response-to-response.ts";
import { forNativeUpstream, withoutForeignIds } from "./responses/item-references.ts";
import { MessagesToResponsesWriter } from "./responses/messages-to-responses-writer.ts";
import { responsesRequestToChat } from "./responses/responses-request-to-chat.ts";
import { readMessagesEvent } from "./stream/messages-event-reader.ts";
import { translateStream } from "./stream/stream-driver.ts";

// DeepSeek's `/anthropic` answers with two thinking blocks, each signed with the message's id, then
// a call. A Responses caller gets a reasoning item each, the signature its `encrypted_content`,
// and sends them back (Codex, store: false): each block goes back as it came, signed.

const SIGNED_BY = "91cfbb94-554b-4136-8e21-fa02280d56ed";
const request = { model: "ds" };

/** The Responses answer's output, streamed (the direct writer) or whole (through chat). */
async function output(streamed: boolean): Promise<JsonObject[]> {
  if (!streamed) {
    const chat = messagesResponseToChat(jsonFixture("anthropic/deepseek-two-thinking-blocks.json"), "ds", {
      thinkingBack: true,
      created: 9,
    });
    return chatResponseToResponse(chat, request, "resp_a", undefined, "ds").output as JsonObject[];
  }
  const writer = new MessagesToResponsesWriter("ds", {
    request,
    id: "resp_a",
    createdAt: 9,
    thinkingBackTo: "ds",
  });
  const events = sseFixture("anthropic/deepseek-two-thinking-blocks.sse.txt");
  const last = (await drain(translateStream(replay(events), readMessagesEvent, writer))).at(-1);
  return (JSON.parse(last?.data ?? "{}") as { response: { output: JsonObject[] } }).response.output;
}

describe("a Messages server's thinking blocks, for a Responses caller", () => {
  test.each([false, true])(
    "are a reasoning item each, its signature the item's encrypted_content, marked as the provider's (streamed: %p)",
    async (streamed) => {
      const items = await output(streamed);
      expect(items.map((item) => item.type)).toEqual(["reasoning", "reasoning", "function_call"]);
      expect(items.slice(0, 2)).toEqual([
        {
          id: "rs_a",
          type: "reasoning",
          summary: [{ type: "summary_text", text: "The user wants the files." }],
          encrypted_content: `mindgw-thinking:v2:ds:${SIGNED_BY}`,
        },
        {
          id: expect.stringMatching(/^rs_a/),
          type: "reasoning",
          summary: [{ type: "summary_text", text: "I should run ls." }],
          encrypted_content: `mindgw-thinking:v2:ds:${SIGNED_BY}`,
        },
      ]);
    },
  );

  test("go back to that server as they came: each block with its signature, before the call", async () => {
    const answered = await output(true);
    const call = answered[2] as { call_id: string };
    const input = [
      { type: "message", role: "user", content: "list the files" },
      ...answered,
      { type: "function_call_output", call_id: call.call_id, output: "a.txt" },
    ];
    const chat = responsesRequestToChat({ model: "ds", input }, [], "drop", new Map(), {
      reasoningBack: true,
      signedThinkingOf: "ds",
    });
    // Chat's own field says the text, joined; the signatures ride beside it.
    expect((chat.body.messages as JsonObject[])[1]?.reasoning_content).toBe(
      "The user wants the files.\n\nI should run ls.",
    );
    const messages = chatRequestToMessages(chat.body, new Dropped(), "ds", true).messages as JsonObject[];
    expect(messages[1]?.content).toEqual([
      { type: "thinking", thinking: "The user wants the files.", signature: SIGNED_BY },
      { type: "thinking", thinking: "I should run ls.", signature: SIGNED_BY },
      { type: "tool_use", id: call.call_id, name: "Bash", input: { cmd: "ls" } },
    ]);
    // A chat upstream that wants its reasoning back (DeepSeek's own chat API) gets the text alone.
    expect(JSON.stringify(chat.body)).not.toContain(SIGNED_BY);
  });

  // What a conversation's turn goes as, on DeepSeek's `/anthropic` under `provider`.
  const sentTo = (provider: string, input: readonly unknown[]) => {
    const chat = responsesRequestToChat({ model: "ds", input }, [], "drop", new Map(), {
      reasoningBack: true,
      signedThinkingOf: provider,
    });
    return chatRequestToMessages(chat.body, new Dropped(), "ds", true).messages as JsonObject[];
  };

  test("go to another provider that takes thinking back unsigned, as before signatures were carried: after a switch of model or a failover, or written by the client", async () => {
    const answered = await output(false);
    const call = answered[2] as { call_id: string };
    const input = [
      { type: "message", role: "user", content: "list the files" },
      ...answered,
      { type: "function_call_output", call_id: call.call_id, output: "a.txt" },
    ];
    // One unsigned block, the turn's reasoning joined, as any reasoning that goes back unsigned.
    expect(sentTo("other-keep", input)[1]?.content).toEqual([
      { type: "thinking", thinking: "The user wants the files.\n\nI should run ls.", signature: "" },
      { type: "tool_use", id: call.call_id, name: "Bash", input: { cmd: "ls" } },
    ]);
    // A mark that names no provider (v1's), or one a client wrote for a provider it makes up, is
    // not taken for the conversation's provider's signature.
    const forged = (encrypted_content: string) =>
      sentTo("ds", [
        { type: "message", role: "user", content: "hi" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "t" }], encrypted_content },
        { type: "message", role: "assistant", content: "hello" },
      ])[1]?.content;
    for (const mark of [
      "mindgw-thinking:v1:forged",
      "mindgw-thinking:v2:dsx:forged",
      "mindgw-thinking:v2:d:forged",
    ])
      expect(forged(mark)).toEqual([
        { type: "thinking", thinking: "t", signature: "" },
        { type: "text", text: "hello" },
      ]);
  });

  test("never reach a server of the Responses API, which could not read them: left out as bare reasoning is, under any id or none", async () => {
    const answered = await output(false);
    // A turn the gateway built by translation: none of its items is an upstream's.
    const holders = new Map(answered.map((item) => [String(item.id), null]));
    const sent = forNativeUpstream(answered, undefined, holders, "openai") as JsonObject[];
    expect(sent.map((item) => item.type)).toEqual(["function_call"]);
    // Nor sent back as Codex sends it (no id), nor under an id no holder is known for (a
    // conversation a connection keeps), nor one of a v1 mark.
    const noId = answered.map(({ id: _none, ...item }) => item);
    for (const sentBack of [noId, answered]) {
      const kept = forNativeUpstream(sentBack, undefined, undefined, "openai") as JsonObject[];
      expect(kept.map((item) => item.type)).toEqual(["function_call"]);
    }
    const v1 = { type: "reasoning", summary: [], encrypted_content: "mindgw-thinking:v1:msg_1" };
    expect(forNativeUpstream([v1], undefined, new Map(), "openai")).toEqual([]);
    // Under an id the caller's scope does not hold: left out, not refused as a bare id is.
    const foreign = new Set(answered.map((item) => String(item.id)));
    expect(withoutForeignIds(answered, foreign, "refuse").map((item) => (item as JsonObject).type)).toEqual([
      "function_call",
    ]);
    // A reasoning item with a Responses server's own encrypted content goes on, without its id, as before.
    const own = { id: "rs_own", type: "reasoning", summary: [], encrypted_content: "gAAAAABo-own" };
    expect(forNativeUpstream([own], undefined, new Map([["rs_own", null]]), "openai")).toEqual([
      { type: "reasoning", summary: [], encrypted_content: "gAAAAABo-own" },
    ]);
  });
});

describe("a Messages server's thinking blocks, for a chat caller", () => {
  test("are one reasoning_content, the blocks set off by a blank line, whole and streamed alike; chat has no field for a signature", async () => {
    const chat = messagesResponseToChat(jsonFixture("anthropic/deepseek-two-thinking-blocks.json"), "ds", {
      thinkingBack: true,
      created: 9,
    });
    const message = (chat.choices as { message: JsonObject }[])[0]?.message;
    expect(message?.reasoning_content).toBe("The user wants the files.\n\nI should run ls.");
    expect(JSON.stringify(message)).not.toContain(SIGNED_BY);
    const chunks = payloads(
      await drain(
        messagesStreamToChat(replay(sseFixture("anthropic/deepseek-two-thinking-blocks.sse.txt")), {
          requestedModel: "ds",
          includeUsage: false,
          thinkingBack: true,
        }),
      ),
    ) as { choices?: { delta: { reasoning_content?: string } }[] }[];
    const deltas = chunks.flatMap((chunk) => chunk.choices?.[0]?.delta.reasoning_content ?? []);
    expect(deltas).toEqual(["The user wants the files.", "\n\nI should run ls."]);
  });
});
