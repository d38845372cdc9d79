import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type FakeRequest, startFakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import { upstreamCallOf } from "./responses-fixture.ts";

/** The key the gateway holds for the fake Anthropic upstream (never the client's). */
export const UPSTREAM_KEY = "sk-ant-upstream-secret-9876";

/** An upstream request as the fake recorded it, its JSON body read as an object. */
export type Seen = FakeRequest & { body: Record<string, unknown> };

/** A function tool in the OpenAI shape. */
export const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/**
 * The gateway the `anthropic` provider tests share (test/e2e/anthropic-provider*.test.ts): the fake
 * in Anthropic mode (it demands x-api-key and anthropic-version, as the real API does) as Claude,
 * as Claude with a wrong key and as DeepSeek's Anthropic API (`unsigned_thinking: keep`), a chat
 * server behind each in a failover. Each file that calls it starts its own in its `beforeAll`; read
 * `gw`, `fake` and the two SDK clients (the admin's) off what this returns when a test runs.
 */
export function anthropicProviderFixture() {
  const fx = gatewayFixture({
    fake: () => startFakeUpstream({ apiKey: UPSTREAM_KEY, requireAnthropicVersion: true }),
    fakeRoutes: false,
    config: (_fakeUrl, { fake }) => ({
      providers: [
        // Anthropic's own API (its automatic caching taken, as api.anthropic.com's is by default).
        {
          name: "claude",
          type: "anthropic",
          base_url: fake.url,
          api_key: UPSTREAM_KEY,
          automatic_caching: true,
        },
        { name: "claude-badkey", type: "anthropic", base_url: fake.url, api_key: "sk-ant-wrong" },
        // A chat server serving a reasoning model (vLLM), behind Claude in a failover.
        { name: "lab", type: "openai", base_url: `${fake.url}/v1`, api_key: UPSTREAM_KEY },
        // DeepSeek's Anthropic API, as `unsigned_thinking: keep` (its default on api.deepseek.com) says.
        {
          name: "deepseek",
          type: "anthropic",
          base_url: fake.url,
          api_key: UPSTREAM_KEY,
          unsigned_thinking: "keep",
        },
      ],
      models: [
        { name: "c1", routes: [{ provider: "claude", model: "claude-up" }] },
        { name: "c-bad", routes: [{ provider: "claude-badkey", model: "claude-up" }] },
        {
          name: "c-failover",
          routes: [
            { provider: "claude", model: "claude-up" },
            { provider: "lab", model: "qwen3-coder" },
          ],
        },
        {
          name: "ds-failover",
          routes: [
            { provider: "deepseek", model: "deepseek-v4-pro" },
            { provider: "lab", model: "qwen3-coder" },
          ],
        },
        // DeepSeek's thinking model on its Anthropic API: it answers with its thinking first.
        { name: "ds-think", routes: [{ provider: "deepseek", model: "deepseek-reasoner" }] },
        {
          name: "c-200k",
          routes: [{ provider: "claude", model: "claude-sonnet-4-5", context_window: 200_000 }],
        },
      ],
      routing: { retries: 0 },
    }),
  });
  let sdks: { openai: OpenAI; anthropic: Anthropic } | undefined;
  const clients = () => {
    const { gw } = fx;
    if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
    sdks ??= {
      openai: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey, maxRetries: 0 }),
      anthropic: new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey, maxRetries: 0 }),
    };
    return sdks;
  };
  return {
    get gw() {
      return fx.gw;
    },
    get fake() {
      return fx.fake;
    },
    /** The OpenAI SDK on the gateway, as the admin. */
    get openai() {
      return clients().openai;
    },
    /** The Anthropic SDK on the gateway, as the admin. */
    get anthropic() {
      return clients().anthropic;
    },
    /** The upstream request after the first `before` ones, waited for. */
    upstreamCall: upstreamCallOf<Seen>(fx),
  };
}
