import { describe, expect, test } from "bun:test";
import { configSchema } from "./config-schema.ts";

const issues = (provider: Record<string, unknown>) => {
  const result = configSchema.safeParse({ providers: [{ name: "p", ...provider }] });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("provider config", () => {
  test("responses_api: true on azure (or any type but openai) is refused, not ignored, the way to Azure's own Responses API named; false, what such a provider does, is taken", () => {
    const azure = { type: "azure", base_url: "https://r.openai.azure.com", api_version: "v1", api_key: "k" };
    expect(issues({ ...azure, responses_api: true })).toEqual([
      "providers.0.responses_api: only for type openai: an azure provider serves Responses callers through chat; for Azure's own Responses API, a provider of type openai with base_url https://RESOURCE.openai.azure.com/openai/v1 and responses_api: true",
    ]);
    expect(issues({ type: "bedrock", region: "us-east-1", responses_api: true })).toEqual([
      "providers.0.responses_api: only for type openai",
    ]);
    for (const provider of [
      { ...azure, responses_api: false },
      { type: "bedrock", region: "us-east-1", responses_api: false },
      { type: "anthropic", api_key: "k", responses_api: false },
      { type: "openai", base_url: "https://r.openai.azure.com/openai/v1", responses_api: true },
    ])
      expect([provider.type, issues(provider)]).toEqual([provider.type, []]);
  });
});
