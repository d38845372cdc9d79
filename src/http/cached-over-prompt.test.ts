import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { openAiUsageAnswer } from "../testing/openai-usage-answer.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// An upstream whose usage says more cached prompt tokens than the prompt had (OpenAI's
// `prompt_tokens_details.cached_tokens` and Gemini's `cachedContentTokenCount` are each a part of
// the prompt's count): through the real pipeline, the request is charged for no more cache reads
// than the prompt's tokens, and a translated caller is told the same; Anthropic's cache reads,
// counted beside `input_tokens`, are all billed.

/** 1,000 prompt tokens, 5,000 of them "cached", 10 written. */
const OPENAI_USAGE = {
  prompt_tokens: 1000,
  completion_tokens: 10,
  total_tokens: 1010,
  prompt_tokens_details: { cached_tokens: 5000 },
};
const GEMINI_USAGE = {
  promptTokenCount: 1000,
  cachedContentTokenCount: 5000,
  candidatesTokenCount: 10,
  totalTokenCount: 1010,
};
/** Anthropic's: 1,000 uncached, 5,000 read from the cache, a prompt of 6,000. */
const ANTHROPIC_USAGE = { input_tokens: 1000, cache_read_input_tokens: 5000, output_tokens: 10 };

/** USD per million: plain prompt 1, cache reads 0.5, answer 2. */
const PRICE = { input_per_mtok: 1, cached_input_per_mtok: 0.5, output_per_mtok: 2 };
const cost = (plain: number, cached: number, output: number) => (plain * 1 + cached * 0.5 + output * 2) / 1e6;

let gateway: UpstreamGateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname.includes(":generateContent"))
        return Response.json({
          candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
          usageMetadata: GEMINI_USAGE,
        });
      if (pathname === "/v1/messages")
        return Response.json({
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-x",
          content: [{ type: "text", text: "hi" }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: ANTHROPIC_USAGE,
        });
      return openAiUsageAnswer(request, OPENAI_USAGE);
    },
    (base) => ({
      providers: [
        { name: "oa", type: "openai", base_url: `${base}/v1` },
        { name: "gm", type: "gemini", base_url: `${base}/v1beta`, api_key: "k" },
        { name: "an", type: "anthropic", base_url: base, api_key: "k" },
      ],
      models: [
        { name: "oa-model", routes: [{ provider: "oa", model: "m" }] },
        { name: "gm-model", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
        { name: "an-model", routes: [{ provider: "an", model: "claude-x" }] },
      ],
      prices: { "oa-model": PRICE, "gm-model": PRICE, "an-model": PRICE },
      routing: { retries: 0 },
    }),
  );
  ({ adminKey, finished, url } = gateway);
});

afterAll(() => gateway.stop());

const post = (path: string, body: object) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(body),
  });
const chat = (model: string, stream = false) =>
  post("/v1/chat/completions", {
    model,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    messages: [{ role: "user", content: "hi" }],
  });
const messages = (model: string) =>
  post("/v1/messages", { model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

describe("cached tokens past the prompt's count are charged as the prompt's", () => {
  test.each([false, true])(
    "an OpenAI upstream's (stream: %p): every prompt token a cache read, no more",
    async (stream) => {
      const response = await chat("oa-model", stream);
      expect(response.status).toBe(200);
      await response.text();
      const row = await recordOf(finished, response);
      expect([row.inputTokens, row.outputTokens]).toEqual([1000, 10]);
      expect(row.costUsd).toBeCloseTo(cost(0, 1000, 10), 12);
    },
  );

  test("an OpenAI upstream's, told an Anthropic caller: its cache reads no more than the prompt", async () => {
    const response = await messages("oa-model");
    const { usage } = (await response.json()) as { usage: Record<string, number> };
    expect(usage).toMatchObject({ input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 10 });
    expect((await recordOf(finished, response)).costUsd).toBeCloseTo(cost(0, 1000, 10), 12);
  });

  test("Gemini's cachedContentTokenCount past its promptTokenCount: charged and told as the prompt's", async () => {
    const response = await chat("gm-model");
    const { usage } = (await response.json()) as {
      usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    };
    expect([usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens]).toEqual([1000, 1000]);
    expect((await recordOf(finished, response)).costUsd).toBeCloseTo(cost(0, 1000, 10), 12);
  });

  test("Anthropic's cache reads beside input_tokens are all part of the prompt: all billed", async () => {
    const response = await chat("an-model");
    const { usage } = (await response.json()) as {
      usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    };
    expect([usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens]).toEqual([6000, 5000]);
    const row = await recordOf(finished, response);
    expect(row.inputTokens).toBe(6000);
    expect(row.costUsd).toBeCloseTo(cost(1000, 5000, 10), 12);
  });
});
