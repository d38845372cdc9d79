import { describe, expect, test } from "bun:test";
import { configSchema } from "../config/config-schema.ts";
import { createProvider } from "./create-provider.ts";

// Whether a chat caller's `prompt_cache_key` or top-level `cache_control` goes to an Anthropic
// upstream as a top-level `cache_control` (Anthropic's automatic caching) is the provider's own
// `automatic_caching`, not the opposite of `unsigned_thinking`: DeepSeek set to `drop` was sent
// it, Kimi or MiniMax set to `keep` lost it, and a proxy in front of Bedrock's legacy integration
// (which answers 400 to the field) was sent it on every Codex call.

/** The provider made of one config entry, as the gateway makes it. */
function made(provider: Record<string, unknown>) {
  const config = configSchema.parse({ providers: [{ name: "p", ...provider }] });
  const [entry] = config.providers;
  if (!entry) throw new Error("no provider");
  return createProvider(entry, { maxSseLine: 1 << 20, env: { HOME: "/nonexistent" } });
}

const caches = (provider: Record<string, unknown>) => made(provider).cachesAutomatically === true;

const issues = (provider: Record<string, unknown>) => {
  const result = configSchema.safeParse({ providers: [{ name: "p", ...provider }] });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("automatic_caching", () => {
  test("by default on Anthropic's own API only: no base_url, or api.anthropic.com", () => {
    expect(caches({ type: "anthropic" })).toBe(true);
    expect(caches({ type: "anthropic", base_url: "https://api.anthropic.com" })).toBe(true);
    expect(caches({ type: "anthropic", base_url: "https://llm-proxy.example.com" })).toBe(false);
    // DeepSeek's /anthropic, whatever unsigned_thinking says.
    expect(caches({ type: "anthropic", base_url: "https://api.deepseek.com/anthropic" })).toBe(false);
    expect(
      caches({
        type: "anthropic",
        base_url: "https://api.deepseek.com/anthropic",
        unsigned_thinking: "drop",
      }),
    ).toBe(false);
  });

  test("as configured, beside unsigned_thinking and apart from it", () => {
    const kimi = {
      type: "anthropic",
      base_url: "https://api.moonshot.ai/anthropic",
      unsigned_thinking: "keep",
    };
    expect(caches({ ...kimi, automatic_caching: true })).toBe(true);
    expect(made({ ...kimi, automatic_caching: true }).takesUnsignedThinking).toBe(true);
    expect(caches({ type: "anthropic", automatic_caching: false })).toBe(false);
  });

  test("Claude on Vertex AI takes it (Anthropic's Prompt caching: every platform but Bedrock's legacy one)", () => {
    const vertex = { type: "vertex", publisher: "anthropic", project: "acme", location: "us-east5" };
    expect(caches(vertex)).toBe(true);
    expect(caches({ ...vertex, automatic_caching: false })).toBe(false);
    expect(caches({ ...vertex, base_url: "https://vertex-proxy.example.com" })).toBe(false);
  });

  test("true where no Anthropic Messages upstream could take it is refused, not ignored; false is taken", () => {
    const where = "only for type anthropic, or vertex with publisher: anthropic";
    expect(issues({ type: "openai", automatic_caching: true })).toEqual([
      `providers.0.automatic_caching: ${where}`,
    ]);
    expect(issues({ type: "vertex", project: "a", location: "us-east5", automatic_caching: true })).toEqual([
      `providers.0.automatic_caching: ${where}`,
    ]);
    expect(
      issues({ type: "bedrock", publisher: "anthropic", region: "us-east-1", automatic_caching: true }),
    ).toEqual([
      `providers.0.automatic_caching: ${where} (Bedrock's InvokeModel, Anthropic's legacy Bedrock integration, answers 400 to a top-level cache_control)`,
    ]);
    expect(issues({ type: "bedrock", region: "us-east-1", automatic_caching: false })).toEqual([]);
  });
});
