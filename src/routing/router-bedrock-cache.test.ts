import { describe, expect, test } from "bun:test";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import { linearCost } from "../pricing/catalogue.ts";
import { messagesCall, routed, streamed, whole } from "./bedrock-router-kit.ts";
import { chatRequest } from "./router-test-kit.ts";

// An Anthropic caller's cache breakpoints (`cache_control`) reach Converse as `cachePoint` blocks,
// each after the block it marks, in `system`, a message's content and `toolConfig.tools`.

const ANSWER: CloudAnswer = {
  text: "Sunny.",
  inputTokens: 10,
  outputTokens: 2,
  cache: { read: 900, write: 0 },
};
const EPHEMERAL = { type: "ephemeral" };
const POINT = { cachePoint: { type: "default" } };

const cachedCall = (stream: boolean) =>
  messagesCall(stream, {
    system: [
      { type: "text", text: "You are a weather bot." },
      { type: "text", text: "Answer briefly.", cache_control: EPHEMERAL },
    ],
    tools: [
      { name: "weather", description: "The weather", input_schema: { type: "object", properties: {} } },
      { name: "time", input_schema: { type: "object", properties: {} }, cache_control: EPHEMERAL },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "weather in Paris?", cache_control: EPHEMERAL }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "weather", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "sunny", cache_control: EPHEMERAL },
          { type: "text", text: "and now?" },
        ],
      },
    ],
  });

describe("cache_control to Converse", () => {
  test.each([false, true])(
    "each breakpoint a cachePoint after the block it marks, to Claude (stream %p)",
    async (stream) => {
      const { router, sent } = routed(ANSWER);
      await router(chatRequest("m", cachedCall(stream)));
      const [body] = sent as [JsonObject];
      expect(body.system).toEqual([{ text: "You are a weather bot." }, { text: "Answer briefly." }, POINT]);
      const tools = (body.toolConfig as JsonObject).tools as JsonObject[];
      expect(tools.map((tool) => Object.keys(tool)[0])).toEqual(["toolSpec", "toolSpec", "cachePoint"]);
      expect(tools[2]).toEqual(POINT);
      const [first, , third] = body.messages as JsonObject[];
      expect(first?.content).toEqual([{ text: "weather in Paris?" }, POINT]);
      expect(((third?.content ?? []) as JsonObject[]).map((block) => Object.keys(block)[0])).toEqual([
        "toolResult",
        "cachePoint",
        "text",
      ]);
    },
  );

  test("a breakpoint on an assistant's text goes right after that text, before the turn's call, its ttl carried", async () => {
    const { router, sent } = routed(ANSWER);
    const call = messagesCall(false, {
      tools: [{ name: "weather", input_schema: { type: "object", properties: {} } }],
      messages: [
        { role: "user", content: "weather in Paris?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me look.", cache_control: { type: "ephemeral", ttl: "1h" } },
            { type: "tool_use", id: "toolu_1", name: "weather", input: {} },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
      ],
    });
    whole(await router(chatRequest("m", call)));
    const [, assistant] = (sent[0] as JsonObject).messages as JsonObject[];
    const content = (assistant?.content ?? []) as JsonObject[];
    expect(content.map((block) => Object.keys(block)[0])).toEqual(["text", "cachePoint", "toolUse"]);
    expect(content[1]).toEqual({ cachePoint: { type: "default", ttl: "1h" } });
  });

  test.each([
    "meta.llama3-70b-instruct-v1:0",
    "anthropic.claude-v2",
    "anthropic.claude-v2:1",
    "anthropic.claude-instant-v1",
  ])("a model that takes no cache point (%s) is sent none", async (model) => {
    const { router, sent } = routed(ANSWER, model);
    whole(await router(chatRequest("m", cachedCall(false))));
    expect(JSON.stringify(sent[0])).not.toContain("cachePoint");
  });

  test("without cache_control, no cachePoint and the system one text as before", async () => {
    const { router, sent } = routed(ANSWER);
    whole(
      await router(
        chatRequest(
          "m",
          messagesCall(false, {
            system: [
              { type: "text", text: "A." },
              { type: "text", text: "B." },
            ],
          }),
        ),
      ),
    );
    expect(JSON.stringify(sent[0])).not.toContain("cachePoint");
    expect(sent[0]?.system).toEqual([{ text: "A.\n\nB." }]);
  });
});

describe("Converse's cache writes by lifetime, in the bill", () => {
  // TokenUsage.cacheDetails: the writes by `ttl` (`1h`, `5m`), which `cacheWriteInputTokens` sums.
  const HOUR: CloudAnswer = { ...ANSWER, cache: { read: 800, write: 200, hour: 150 } };
  const billed = {
    inputTokens: 1010,
    outputTokens: 2,
    cachedInputTokens: 800,
    cacheWriteTokens: 200,
    cacheWrite1hTokens: 150,
  };

  test.each([false, true])(
    "the writes that live an hour are billed as such, to a chat or an Anthropic caller (stream %p)",
    async (stream) => {
      const { router } = routed(HOUR);
      const chatCall = {
        stream,
        body: {
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          stream,
          ...(stream ? { stream_options: { include_usage: true } } : {}),
        },
      };
      for (const call of [chatCall, messagesCall(stream)]) {
        const dispatched = await router(chatRequest("m", call));
        if (stream) await streamed(dispatched);
        else whole(dispatched);
        expect(dispatched.usage()).toEqual(billed);
      }
      // At a price with an hour-long write rate of its own: 150 writes at it, 50 at the five minutes'.
      const rates = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 };
      expect(linearCost(rates, billed as Usage)).toBeCloseTo(
        (10 * 3 + 800 * 0.3 + 50 * 3.75 + 150 * 6 + 2 * 15) / 1e6,
        12,
      );
    },
  );

  test("without cacheDetails, every write is of the default five minutes", async () => {
    const { router } = routed({ ...ANSWER, cache: { read: 800, write: 200 } });
    const dispatched = await router(chatRequest("m", messagesCall(false)));
    whole(dispatched);
    expect(dispatched.usage()).toEqual({
      inputTokens: 1010,
      outputTokens: 2,
      cachedInputTokens: 800,
      cacheWriteTokens: 200,
    });
  });
});
