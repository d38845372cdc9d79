import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type CannedUpstream, startCannedUpstream } from "../../../test/fake-upstream/canned-upstream.ts";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// A translated Messages answer left out `usage.service_tier` (and the other fields the Anthropic SDK
// types as required-but-nullable: `cache_creation`, `inference_geo`, `output_tokens_details`,
// `server_tool_use`, `speed`), so `message.usage.service_tier` read undefined. OpenAI's top-level
// `service_tier` says the tier the answer ran on: `default` is Anthropic's `standard`, `priority`
// its `priority`; `flex` (OpenAI's cheaper, slower tier) is no Anthropic tier (`batch` is the
// Batches API's), so null. Through the gateway on loopback, the official SDK, OpenAI's wire.

let upstream: CannedUpstream;
let gateway: Gateway;
let base = "";
let key = "";

beforeAll(async () => {
  upstream = startCannedUpstream();
  const gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [{ name: "oa", type: "openai", base_url: `${upstream.url}/v1`, api_key: "k" }],
      models: [{ name: "gpt", routes: [{ provider: "oa", model: "gpt-5" }] }],
    }),
  );
  gateway = gw.gateway;
  key = gw.adminKey;
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

const usage = {
  prompt_tokens: 12,
  completion_tokens: 7,
  total_tokens: 19,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 5 },
};

const wholeAnswer = (tier: string) =>
  upstream.queue({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "gpt-5",
      service_tier: tier,
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage,
    }),
  });

const streamedAnswer = (tier: string) => {
  const chunk = (fields: object) =>
    `data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: "gpt-5", service_tier: tier, ...fields })}\n\n`;
  upstream.queue({
    headers: { "content-type": "text/event-stream" },
    body: [
      chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
      chunk({ choices: [], usage }),
      "data: [DONE]\n\n",
    ],
  });
};

const anthropic = () => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const params = { model: "gpt", max_tokens: 50, messages: [{ role: "user" as const, content: "hi" }] };

describe("a translated answer's usage has every field the Anthropic SDK types as required", () => {
  test("whole: OpenAI's default tier is standard; what is known is filled, the rest null", async () => {
    wholeAnswer("default");
    const message = await anthropic().messages.create(params);
    expect(message.usage).toEqual({
      input_tokens: 8,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 4,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { thinking_tokens: 5 },
      server_tool_use: null,
      service_tier: "standard",
      inference_geo: null,
      speed: null,
    });
  });

  test("whole: priority is priority, flex is no Anthropic tier (null)", async () => {
    wholeAnswer("priority");
    expect((await anthropic().messages.create(params)).usage.service_tier).toBe("priority");
    wholeAnswer("flex");
    expect((await anthropic().messages.create(params)).usage.service_tier).toBeNull();
  });

  test("streamed: the SDK's final message says the tier, from message_start as Anthropic's stream does", async () => {
    streamedAnswer("default");
    const message = await anthropic().messages.stream(params).finalMessage();
    expect(message.usage.service_tier).toBe("standard");
    expect(message.usage.inference_geo).toBeNull();
    expect(message.usage.speed).toBeNull();
    expect(message.usage.server_tool_use).toBeNull();
    expect(message.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 0,
    });
    expect(message.usage.output_tokens).toBe(7);
    expect(message.usage.output_tokens_details).toEqual({ thinking_tokens: 5 });
  });
});
