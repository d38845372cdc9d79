import { describe, expect, test } from "bun:test";
import { configSchema } from "./config-schema.ts";

const issues = (provider: Record<string, unknown>) => {
  const result = configSchema.safeParse({ providers: [{ name: "p", ...provider }] });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("cloud provider fields", () => {
  test("each type's required fields are named with their path", () => {
    // Bedrock's region may come from AWS_REGION or the profile (aws-region.ts): not required here.
    expect(issues({ type: "bedrock" })).toEqual([]);
    expect(issues({ type: "vertex", project: "x" })).toEqual([
      "providers.0.location: required for vertex (e.g. us-central1, global)",
    ]);
    expect(issues({ type: "azure", base_url: "https://r.openai.azure.com" })).toEqual([
      "providers.0.api_version: required for azure (e.g. 2024-10-21, v1, or preview)",
    ]);
  });

  test("bedrock's profile: a name, for bedrock only, not beside aws keys", () => {
    expect(issues({ type: "bedrock", region: "us-east-1", profile: "prod" })).toEqual([]);
    expect(issues({ type: "openai", profile: "prod" })).toEqual([
      "providers.0.profile: only for type bedrock",
    ]);
    expect(
      issues({
        type: "bedrock",
        region: "us-east-1",
        profile: "prod",
        aws: { access_key_id: "A", secret_access_key: "s" },
      }),
    ).toEqual(["providers.0.profile: give aws or profile, not both"]);
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

  test("entra takes one way to prove the identity: a client secret, a federated token file or a managed identity, each with what it needs", () => {
    const base = { type: "azure", base_url: "https://r.openai.azure.com", api_version: "v1" };
    const app = { tenant_id: "t", client_id: "c" };
    expect(
      issues({
        ...base,
        entra: { ...app, federated_token_file: "/var/run/secrets/azure/tokens/azure-identity-token" },
      }),
    ).toEqual([]);
    expect(issues({ ...base, entra: { managed_identity: true } })).toEqual([]);
    expect(
      issues({
        ...base,
        entra: { managed_identity: { client_id: "uami" }, scope: "https://ai.azure.com/.default" },
      }),
    ).toEqual([]);
    expect(issues({ ...base, entra: app })).toEqual([
      "providers.0.entra.client_secret: give one of client_secret, federated_token_file (a workload identity) or managed_identity",
    ]);
    expect(issues({ ...base, entra: { ...app, client_secret: "s", managed_identity: true } })).toEqual([
      "providers.0.entra.managed_identity: give one of client_secret, federated_token_file (a workload identity) or managed_identity",
    ]);
    expect(issues({ ...base, entra: { client_id: "c", federated_token_file: "/t" } })).toEqual([
      "providers.0.entra.tenant_id: required with federated_token_file",
    ]);
    expect(
      issues({
        ...base,
        entra: { ...app, authority_host: "https://login.microsoftonline.us", managed_identity: true },
      }),
    ).toEqual([
      "providers.0.entra.tenant_id: not with managed_identity (a sovereign cloud's resource: give scope)",
      "providers.0.entra.client_id: a user-assigned managed identity's goes in managed_identity: { client_id }",
      "providers.0.entra.authority_host: not with managed_identity (a sovereign cloud's resource: give scope)",
    ]);
    expect(issues({ ...base, entra: { managed_identity: false } })).toEqual([
      "providers.0.entra.managed_identity: true (the system-assigned identity) or { client_id } (a user-assigned one)",
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
