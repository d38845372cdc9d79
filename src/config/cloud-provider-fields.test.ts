import { describe, expect, test } from "bun:test";
import { configSchema } from "./config-schema.ts";

const issues = (provider: Record<string, unknown>) => {
  const result = configSchema.safeParse({ providers: [{ name: "p", ...provider }] });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("cloud provider fields", () => {
  test("each type's required fields are named with their path", () => {
    expect(issues({ type: "bedrock" })).toEqual([
      "providers.0.region: required for bedrock (e.g. us-east-1)",
    ]);
    expect(issues({ type: "vertex", project: "x" })).toEqual([
      "providers.0.location: required for vertex (e.g. us-central1, global)",
    ]);
    expect(issues({ type: "azure", base_url: "https://r.openai.azure.com" })).toEqual([
      "providers.0.api_version: required for azure (e.g. 2024-10-21, or v1)",
    ]);
  });

  test("a field of another type is an error, not silently ignored", () => {
    expect(issues({ type: "openai", region: "us-east-1" })).toEqual([
      "providers.0.region: only for type bedrock",
    ]);
    expect(issues({ type: "gemini", preset: "groq" })).toEqual(["providers.0.preset: only for type openai"]);
    expect(issues({ type: "gemini", publisher: "anthropic" })).toEqual([
      "providers.0.publisher: only for type vertex or bedrock",
    ]);
    expect(issues({ type: "vertex", project: "p", location: "us-east5", publisher: "anthropic" })).toEqual(
      [],
    );
    expect(issues({ type: "vertex", project: "p", location: "us-east5", publisher: "meta" })[0]).toContain(
      "providers.0.publisher",
    );
  });

  test("an unknown preset is refused, a known one accepted", () => {
    expect(issues({ type: "openai", preset: "groq" })).toEqual([]);
    expect(issues({ type: "openai", preset: "grok" })[0]).toStartWith("providers.0.preset:");
  });

  test("azure takes an api_key or entra credentials, not both", () => {
    const entra = { tenant_id: "t", client_id: "c", client_secret: "s" };
    const base = { type: "azure", base_url: "https://r.openai.azure.com", api_version: "v1" };
    expect(issues({ ...base, entra })).toEqual([]);
    expect(issues({ ...base, entra, api_key: "k" })).toEqual([
      "providers.0.entra: give api_key or entra, not both",
    ]);
  });

  test("entra's scope is a resource's /.default scope, as the client credentials flow takes", () => {
    const entra = { tenant_id: "t", client_id: "c", client_secret: "s" };
    const base = { type: "azure", base_url: "https://r.services.ai.azure.com", api_version: "v1" };
    expect(issues({ ...base, entra: { ...entra, scope: "https://ai.azure.com/.default" } })).toEqual([]);
    expect(issues({ ...base, entra: { ...entra, scope: "https://ai.azure.com" } })).toEqual([
      "providers.0.entra.scope: a resource's /.default scope, as the client credentials flow takes (https://ai.azure.com/.default)",
    ]);
  });
});

test("cloud secrets are redacted in `config check` output", async () => {
  const { redactConfig } = await import("./redact-config.ts");
  const config = configSchema.parse({
    providers: [
      {
        name: "b",
        type: "bedrock",
        region: "r",
        aws: { access_key_id: "AKIA1", secret_access_key: "sk", session_token: "st" },
      },
      {
        name: "a",
        type: "azure",
        base_url: "https://r.x",
        api_version: "v1",
        entra: { tenant_id: "t", client_id: "c", client_secret: "cs" },
      },
      {
        name: "v",
        type: "vertex",
        project: "p",
        location: "l",
        service_account: '{"private_key":"-----BEGIN"}',
      },
    ],
  });
  const text = JSON.stringify(redactConfig(config));
  for (const secret of ['"sk"', '"st"', '"cs"', "BEGIN"]) expect(text).not.toContain(secret);
  expect(text).toContain("AKIA1");
});
