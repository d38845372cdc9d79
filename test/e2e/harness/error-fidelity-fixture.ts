import { beforeAll } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { createKey } from "./admin-api.ts";
import { keyQuoter, llamaCppBefore2025, proxyPage, UPSTREAM_KEYS } from "./error-fidelity-servers.ts";
import { vendorAnswers } from "./error-fidelity-vendors.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import type { GatewayProcess } from "./spawn-gateway.ts";

/**
 * The gateway the error-fidelity tests share (test/e2e/error-fidelity*.test.ts): its providers are
 * the fake upstream, a proxy's page, the vendors' and servers' own error bodies
 * (error-fidelity-vendors.ts), a key quoter and a llama.cpp from before 2025; its models route to
 * them. Each file that calls it starts its own, in its `beforeAll`; `gw`, `key` and the two SDK
 * clients are filled in then, so a test reads them off what this returns when it runs
 * (`fidelity.gw`), with no copy of its own to fill in.
 */
export function errorFidelityFixture() {
  let quoterUrl = "";
  /** The key quoter the fixture started, its address kept for the worker's test. */
  function keyQuoterAt(server: ReturnType<typeof keyQuoter>): ReturnType<typeof keyQuoter> {
    quoterUrl = server.url.href;
    return server;
  }
  const fx = gatewayFixture({
    fakeRoutes: false,
    config: (_fakeUrl, { fake, own }) => ({
      providers: [
        { name: "oa", type: "openai", base_url: `${fake.url}/v1` },
        { name: "an", type: "anthropic", base_url: fake.url },
        ...(({ url }) => [
          { name: "oa-proxy", type: "openai", base_url: `${url}v1` },
          { name: "an-proxy", type: "anthropic", base_url: url.href.replace(/\/$/, "") },
        ])(own(proxyPage())),
        ...(({ url }) => [
          { name: "self-hosted", type: "openai", base_url: `${url}v1` },
          { name: "oa-vendor", type: "openai", base_url: `${url}v1` },
          { name: "an-vendor", type: "anthropic", base_url: url.href.replace(/\/$/, "") },
          { name: "gm-vendor", type: "gemini", base_url: `${url}v1beta`, api_key: "gemini-key" },
          { name: "oa-responses", type: "openai", base_url: `${url}v1`, responses_api: true },
        ])(own(vendorAnswers())),
        ...(({ url }) => [
          { name: "keyed", type: "openai", base_url: `${url}v1`, api_key: UPSTREAM_KEYS.plain },
          {
            name: "keyed-header",
            type: "openai",
            base_url: `${url}v1`,
            headers: { "api-key": UPSTREAM_KEYS.header },
          },
          { name: "keyed-groq", type: "openai", base_url: `${url}v1`, api_key: UPSTREAM_KEYS.groq },
        ])(keyQuoterAt(own(keyQuoter()))),
        ...(({ url }) => [{ name: "llamacpp-old", type: "openai", base_url: `${url}v1` }])(
          own(llamaCppBefore2025()),
        ),
      ],
      models: [
        { name: "fastapi", routes: [{ provider: "self-hosted", model: "fastapi-422" }] },
        { name: "llamacpp-mid", routes: [{ provider: "llamacpp-old", model: "mid" }] },
        { name: "llamacpp-first", routes: [{ provider: "llamacpp-old", model: "first" }] },
        { name: "quotes-key", routes: [{ provider: "keyed", model: "quote" }] },
        { name: "quotes-key-500", routes: [{ provider: "keyed", model: "quote-500" }] },
        { name: "quotes-header", routes: [{ provider: "keyed-header", model: "quote" }] },
        { name: "quotes-groq", routes: [{ provider: "keyed-groq", model: "quote-500" }] },
        { name: "tgi", routes: [{ provider: "self-hosted", model: "tgi-422" }] },
        { name: "sglang", routes: [{ provider: "self-hosted", model: "sglang-400" }] },
        { name: "xai", routes: [{ provider: "self-hosted", model: "xai-400" }] },
        { name: "dashscope", routes: [{ provider: "self-hosted", model: "dashscope-400" }] },
        { name: "poolside", routes: [{ provider: "self-hosted", model: "poolside-400" }] },
        { name: "copilot", routes: [{ provider: "self-hosted", model: "copilot-400" }] },
        { name: "deepinfra", routes: [{ provider: "self-hosted", model: "deepinfra-400" }] },
        { name: "minimax", routes: [{ provider: "self-hosted", model: "minimax-400" }] },
        { name: "vllm-output", routes: [{ provider: "self-hosted", model: "vllm-output-400" }] },
        { name: "vllm-decoder", routes: [{ provider: "self-hosted", model: "vllm-decoder-400" }] },
        { name: "kimi", routes: [{ provider: "self-hosted", model: "kimi-400" }] },
        { name: "kimi-fits", routes: [{ provider: "self-hosted", model: "kimi-fits-400" }] },
        { name: "vllm-prompt", routes: [{ provider: "self-hosted", model: "vllm-prompt-400" }] },
        { name: "mistral", routes: [{ provider: "self-hosted", model: "mistral-400" }] },
        { name: "ollama", routes: [{ provider: "self-hosted", model: "ollama-400" }] },
        { name: "lmstudio", routes: [{ provider: "self-hosted", model: "lmstudio-400" }] },
        { name: "lmstudio-keep", routes: [{ provider: "self-hosted", model: "lmstudio-keep-400" }] },
        { name: "openrouter-kimi", routes: [{ provider: "self-hosted", model: "openrouter-kimi-400" }] },
        { name: "minimax-media", routes: [{ provider: "self-hosted", model: "minimax-media-400" }] },
        {
          name: "openrouter-deepinfra",
          routes: [{ provider: "self-hosted", model: "openrouter-deepinfra-400" }],
        },
        {
          name: "openrouter-anthropic",
          routes: [{ provider: "self-hosted", model: "openrouter-anthropic-400" }],
        },
        { name: "vllm-messages", routes: [{ provider: "an-vendor", model: "vllm-messages-400" }] },
        { name: "minimax-messages", routes: [{ provider: "an-vendor", model: "minimax-messages-400" }] },
        { name: "minimax-media-messages", routes: [{ provider: "an-vendor", model: "minimax-media-400" }] },
        { name: "vllm-listing", routes: [{ provider: "self-hosted", model: "vllm-listing-400" }] },
        { name: "sglang-listing", routes: [{ provider: "self-hosted", model: "sglang-listing-400" }] },
        {
          name: "vllm-messages-listing",
          fallback_on: ["context_length"],
          routes: [
            { provider: "an-vendor", model: "vllm-messages-listing-400" },
            { provider: "an", model: "up-a" },
          ],
        },
        { name: "org-limited", routes: [{ provider: "self-hosted", model: "org-429" }] },
        { name: "org-in-200", routes: [{ provider: "self-hosted", model: "org-in-200" }] },
        { name: "an-limited", routes: [{ provider: "an-vendor", model: "anthropic-429" }] },
        { name: "gm-limited", routes: [{ provider: "gm-vendor", model: "gemini-429" }] },
        { name: "gm-daily", routes: [{ provider: "gm-vendor", model: "gemini-daily" }] },
        {
          name: "tgi-then-o",
          fallback_on: ["context_length"],
          routes: [
            { provider: "self-hosted", model: "tgi-422" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "o-html", routes: [{ provider: "oa-proxy", model: "html" }] },
        { name: "o-empty", routes: [{ provider: "oa-proxy", model: "empty" }] },
        { name: "a-html", routes: [{ provider: "an-proxy", model: "html" }] },
        { name: "a-empty", routes: [{ provider: "an-proxy", model: "empty" }] },
        { name: "o", routes: [{ provider: "oa", model: "up-o" }] },
        // The gateway's account or route refused, then a route that serves; or that route alone.
        {
          name: "credit-then-a",
          routes: [
            { provider: "an-vendor", model: "credit" },
            { provider: "an", model: "up-a" },
          ],
        },
        {
          name: "gone-then-o",
          routes: [
            { provider: "oa-vendor", model: "gone" },
            { provider: "oa", model: "up-o" },
          ],
        },
        {
          name: "item-gone-then-o",
          routes: [
            { provider: "oa-vendor", model: "item-gone" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "no-choices", routes: [{ provider: "oa-vendor", model: "no-choices" }] },
        { name: "empty-chat", routes: [{ provider: "oa-vendor", model: "empty-object" }] },
        { name: "empty-message", routes: [{ provider: "an-vendor", model: "empty-object" }] },
        {
          name: "no-choices-then-o",
          routes: [
            { provider: "oa-vendor", model: "no-choices" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "no-choices-stream", routes: [{ provider: "oa-vendor", model: "no-choices-stream" }] },
        {
          name: "no-choices-stream-then-o",
          routes: [
            { provider: "oa-vendor", model: "no-choices-stream" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "empty-completion", routes: [{ provider: "oa-vendor", model: "empty-completion-stream" }] },
        { name: "null-error", routes: [{ provider: "oa-vendor", model: "null-error" }] },
        ...["null-error-stream", "false-error-stream", "empty-error-stream"].map((model) => ({
          name: model,
          routes: [{ provider: "oa-vendor", model }],
        })),
        { name: "failed-response", routes: [{ provider: "oa-responses", model: "failed-response" }] },
        {
          name: "failed-response-then-o",
          routes: [
            { provider: "oa-responses", model: "failed-response" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "no-count", routes: [{ provider: "an-vendor", model: "no-count" }] },
        { name: "file-gone", routes: [{ provider: "an-vendor", model: "file-gone" }] },
        { name: "quota", routes: [{ provider: "oa-vendor", model: "quota" }] },
        { name: "billing-inactive", routes: [{ provider: "oa-vendor", model: "billing-inactive" }] },
        { name: "kimi-quota", routes: [{ provider: "oa-vendor", model: "kimi-quota" }] },
        { name: "openrouter-quota", routes: [{ provider: "oa-vendor", model: "openrouter-quota" }] },
        {
          name: "openrouter-kimi-quota",
          routes: [{ provider: "oa-vendor", model: "openrouter-kimi-quota" }],
        },
        { name: "kimi-overloaded", routes: [{ provider: "oa-vendor", model: "kimi-overloaded" }] },
        {
          name: "openrouter-overloaded",
          routes: [{ provider: "oa-vendor", model: "openrouter-overloaded" }],
        },
        {
          name: "openrouter-gone",
          routes: [{ provider: "oa-vendor", model: "openrouter-model-gone" }],
        },
        {
          name: "openrouter-gone-then-o",
          routes: [
            { provider: "oa-vendor", model: "openrouter-model-gone" },
            { provider: "oa", model: "up-o" },
          ],
        },
        { name: "xai-credits", routes: [{ provider: "oa-vendor", model: "xai-credits" }] },
        { name: "xai-credits-429", routes: [{ provider: "oa-vendor", model: "xai-credits-429" }] },
        { name: "xai-new-team", routes: [{ provider: "oa-vendor", model: "xai-new-team" }] },
        { name: "gone", routes: [{ provider: "oa-vendor", model: "gone" }] },
        { name: "daily", routes: [{ provider: "oa-vendor", model: "daily" }] },
        { name: "daily-words", routes: [{ provider: "oa-vendor", model: "daily-words" }] },
        { name: "openrouter-daily", routes: [{ provider: "oa-vendor", model: "openrouter-daily" }] },
        {
          name: "openrouter-daily-in-200",
          routes: [{ provider: "oa-vendor", model: "openrouter-daily-in-200" }],
        },
        {
          name: "openrouter-daily-in-stream",
          routes: [{ provider: "oa-vendor", model: "openrouter-daily-in-stream" }],
        },
        {
          name: "openrouter-error-mid-stream",
          routes: [{ provider: "oa-vendor", model: "openrouter-error-mid-stream" }],
        },
        {
          name: "openrouter-error-after-first-finish",
          routes: [{ provider: "oa-vendor", model: "openrouter-error-after-first-finish" }],
        },
        { name: "leaky", routes: [{ provider: "oa-vendor", model: "leaky-500" }] },
        { name: "ms-only", routes: [{ provider: "oa-vendor", model: "ms-only" }] },
        // An OpenAI reasoning model, which refuses `max_tokens` (the fake does as OpenAI does).
        { name: "gpt-5.4", routes: [{ provider: "oa", model: "gpt-5.4" }] },
        { name: "a", routes: [{ provider: "an", model: "up-a" }] },
        // A Claude 4.5 model, which takes temperature or top_p, not both (the fake does as it does).
        { name: "sonnet", routes: [{ provider: "an", model: "claude-sonnet-4-5" }] },
        // A window too small for any prompt: the gateway refuses before trying the route.
        { name: "tiny", routes: [{ provider: "oa", model: "up-o", context_window: 30 }] },
        { name: "small-window", routes: [{ provider: "oa", model: "up-o", context_window: 2000 }] },
        // Failover across dialects, both ways: the caller sees the last route's answer.
        {
          name: "oa-then-an",
          routes: [
            { provider: "oa", model: "up-o" },
            { provider: "an", model: "up-a" },
          ],
        },
        {
          name: "an-then-oa",
          routes: [
            { provider: "an", model: "up-a" },
            { provider: "oa", model: "up-o" },
          ],
        },
      ],
      // Many upstream failures in a row here, and none may take a route out.
      routing: { retries: 0, circuit_breaker: { failures: 1000 } },
    }),
  });
  const state = {
    fx,
    gw: undefined as unknown as GatewayProcess,
    key: "",
    openai: undefined as unknown as OpenAI,
    anthropic: undefined as unknown as Anthropic,
    keyQuoterUrl: () => quoterUrl,
    chat: (model: string, text: string) =>
      state.openai.chat.completions
        .create({ model, messages: [{ role: "user", content: text }] })
        .catch((e: unknown) => e),
    messages: (model: string, text: string) =>
      state.anthropic.messages
        .create({ model, max_tokens: 20, messages: [{ role: "user", content: text }] })
        .catch((e: unknown) => e),
    responses: (model: string, text: string) =>
      state.openai.responses.create({ model, input: text }).catch((e: unknown) => e),
  };
  beforeAll(async () => {
    state.gw = fx.gw;
    ({ key: state.key } = await createKey(state.gw, { name: "errors" }));
    state.openai = new OpenAI({ baseURL: `${state.gw.url}/v1`, apiKey: state.key, maxRetries: 0 });
    state.anthropic = new Anthropic({ baseURL: state.gw.url, apiKey: state.key, maxRetries: 0 });
  });
  return state;
}
