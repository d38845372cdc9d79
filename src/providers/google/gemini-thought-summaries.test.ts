import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type CannedUpstream, startCannedUpstream } from "../../../test/fake-upstream/canned-upstream.ts";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// An Anthropic caller's `thinking` on a Gemini route: Gemini shows its thinking only when asked
// (`thinkingConfig.includeThoughts`, then parts marked `thought: true`, its thought summaries).
// Asked for nothing, the caller got an answer with no thinking block at all, though Gemini thought
// (and billed it). Through the gateway on loopback, the official SDK, Gemini's wire from a canned
// upstream.

let upstream: CannedUpstream;
let gateway: Gateway;
let client: Anthropic;

beforeAll(async () => {
  upstream = startCannedUpstream();
  const gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [{ name: "g", type: "gemini", api_key: "key", base_url: `${upstream.url}/v1beta` }],
      models: [{ name: "m", routes: [{ provider: "g", model: "gemini-2.5-flash" }] }],
    }),
  );
  gateway = gw.gateway;
  const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  client = new Anthropic({ baseURL: base, apiKey: gw.adminKey, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

const usageMetadata = {
  promptTokenCount: 8,
  candidatesTokenCount: 4,
  thoughtsTokenCount: 30,
  totalTokenCount: 42,
};
const THOUGHT = "**Weighing the question**\n\nThe user greets me; a short greeting back will do.";
const sentLast = () => JSON.parse(upstream.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;
const ask = { model: "m", max_tokens: 4000, messages: [{ role: "user" as const, content: "hi" }] };

describe("a Messages caller's thinking on a Gemini route", () => {
  test("asks Gemini for its thoughts, and its thought summary is the answer's thinking block, whole", async () => {
    upstream.queue({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        candidates: [
          {
            content: { role: "model", parts: [{ text: THOUGHT, thought: true }, { text: "Hello!" }] },
            finishReason: "STOP",
            index: 0,
          },
        ],
        usageMetadata,
        modelVersion: "gemini-2.5-flash",
      }),
    });
    const message = await client.messages.create({
      ...ask,
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
    expect(sentLast().generationConfig).toMatchObject({ thinkingConfig: { includeThoughts: true } });
    expect(message.content).toEqual([
      { type: "thinking", thinking: THOUGHT, signature: "" },
      { type: "text", text: "Hello!" },
    ] as never);
  });

  test("streamed: the thought summary arrives as thinking_deltas before the text", async () => {
    const event = (parts: object[], finish?: string) =>
      `data: ${JSON.stringify({
        candidates: [
          { content: { role: "model", parts }, index: 0, ...(finish ? { finishReason: finish } : {}) },
        ],
        usageMetadata,
        modelVersion: "gemini-2.5-flash",
      })}\r\n\r\n`;
    upstream.queue({
      headers: { "content-type": "text/event-stream" },
      body: [
        event([{ text: "**Weighing the question**\n\n", thought: true }]),
        event([{ text: "The user greets me; a short greeting back will do.", thought: true }]),
        event([{ text: "Hello!" }], "STOP"),
      ],
    });
    const stream = client.messages.stream({ ...ask, thinking: { type: "enabled", budget_tokens: 2048 } });
    const message = await stream.finalMessage();
    expect(sentLast().generationConfig).toMatchObject({ thinkingConfig: { includeThoughts: true } });
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(message.content[0]).toMatchObject({ type: "thinking", thinking: THOUGHT });
    expect(message.content[1]).toMatchObject({ type: "text", text: "Hello!" });
  });

  test("adaptive thinking asks a 2.5 model for its thoughts alone (it thinks unasked); display omitted asks for none", async () => {
    const whole = {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        candidates: [
          { content: { role: "model", parts: [{ text: "Hello!" }] }, finishReason: "STOP", index: 0 },
        ],
        usageMetadata,
      }),
    };
    upstream.queue(whole, whole);
    await client.messages.create({ ...ask, thinking: { type: "adaptive" } });
    expect(sentLast().generationConfig).toEqual({
      maxOutputTokens: 4000,
      thinkingConfig: { includeThoughts: true },
    });
    await client.messages.create({
      ...ask,
      thinking: { type: "enabled", budget_tokens: 2048, display: "omitted" },
    });
    expect(sentLast().generationConfig).toEqual({
      maxOutputTokens: 4000,
      thinkingConfig: { thinkingBudget: 2048 }, // the caller's budget, not its effort's bucket
    });
  });

  test("without thinking asked, Gemini is not asked for its thoughts", async () => {
    upstream.queue({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        candidates: [
          { content: { role: "model", parts: [{ text: "Hello!" }] }, finishReason: "STOP", index: 0 },
        ],
        usageMetadata,
      }),
    });
    const message = await client.messages.create(ask);
    expect(JSON.stringify(sentLast())).not.toContain("includeThoughts");
    expect(message.content).toEqual([{ type: "text", text: "Hello!" }] as never);
  });
});
