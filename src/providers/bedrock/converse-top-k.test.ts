import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { converseJson } from "../../../test/fake-cloud/bedrock-wire.ts";
import { type CannedUpstream, startCannedUpstream } from "../../../test/fake-upstream/canned-upstream.ts";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// A Messages caller's `top_k` on a Bedrock Converse route: Claude on Converse takes it, as Anthropic's
// own field in `additionalModelRequestFields` (AWS's Converse example for Claude sends `{"top_k": 200}`
// there), yet it was dropped and named as if the route could not carry it. Another model (Nova) has
// no such field: named, as before. Through the gateway on loopback, the official SDKs, Converse's
// wire from a canned upstream.

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
      providers: [
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          base_url: upstream.url,
          aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
        },
      ],
      models: [
        {
          name: "claude",
          routes: [{ provider: "br", model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }],
        },
        { name: "nova", routes: [{ provider: "br", model: "us.amazon.nova-pro-v1:0" }] },
      ],
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

const answer = () =>
  upstream.queue({
    headers: { "content-type": "application/json" },
    body: JSON.stringify(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 })),
  });
const sentLast = () => JSON.parse(upstream.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;

describe("top_k on a Bedrock Converse route", () => {
  const anthropic = () => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
  // The SDK's 1.x types have no sampling fields (API version 2026-10-21 refuses them on Claude), but
  // it sends the body as given, as older clients (its 0.x, LangChain's ChatAnthropic) send `top_k`.
  const ask = (model: string) => {
    const params = { model, max_tokens: 50, top_k: 40, messages: [{ role: "user" as const, content: "hi" }] };
    return anthropic().messages.create(params).withResponse();
  };

  test("a Messages caller's reaches Claude in additionalModelRequestFields, nothing dropped", async () => {
    answer();
    const { data, response } = await ask("claude");
    expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
    expect(sentLast().additionalModelRequestFields).toEqual({ top_k: 40 });
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  test("beside thinking, both go, as Anthropic's API is sent them (Claude judges them together)", async () => {
    answer();
    const params = {
      model: "claude",
      max_tokens: 4000,
      top_k: 40,
      thinking: { type: "enabled" as const, budget_tokens: 2048 },
      messages: [{ role: "user" as const, content: "hi" }],
    };
    await anthropic().messages.create(params);
    expect(sentLast().additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 2048 },
      top_k: 40,
    });
  });

  test("to a model that has no top_k (Nova), it is named, not sent", async () => {
    answer();
    const { response } = await ask("nova");
    expect(sentLast().additionalModelRequestFields).toBeUndefined();
    expect(response.headers.get("x-mindgw-dropped")).toBe("top_k");
  });

  test("a chat caller's top_k (vLLM's, OpenRouter's field) reaches Claude too, and is named to Nova", async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    const call = (model: string) =>
      openai.chat.completions
        .create({ model, messages: [{ role: "user", content: "hi" }], top_k: 40 } as never)
        .withResponse();
    answer();
    const claude = await call("claude");
    expect(sentLast().additionalModelRequestFields).toEqual({ top_k: 40 });
    expect(claude.response.headers.get("x-mindgw-dropped")).toBeNull();
    answer();
    const nova = await call("nova");
    expect(sentLast().additionalModelRequestFields).toBeUndefined();
    expect(nova.response.headers.get("x-mindgw-dropped")).toBe("top_k");
  });
});
