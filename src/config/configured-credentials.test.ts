import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { holdCredentials } from "../core/credentials.ts";
import { forCallers } from "../core/for-callers.ts";
import { configuredCredentials } from "./configured-credentials.ts";
import { parseConfig } from "./load-config.ts";

test("every credential the config holds, and nothing else: keys, header values, cloud secrets, an inline service account's private key", () => {
  const serviceAccount = JSON.stringify({
    client_email: "gw@acme.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
    private_key_id: "0123456789abcdef0123",
  });
  const config = parseConfig(
    {
      providers: [
        { name: "oa", type: "openai", base_url: "http://127.0.0.1:1/v1", api_key: "sk-upstream-0123456789" },
        {
          name: "az",
          type: "openai",
          base_url: "http://127.0.0.1:1/v1",
          headers: { "api-key": "azureKey0123" },
        },
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          aws: {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG",
            session_token: "FwoGZXIvYXdzEJr",
          },
        },
        {
          name: "en",
          type: "azure",
          base_url: "https://acme.openai.azure.com",
          api_version: "2024-10-21",
          entra: { tenant_id: "t", client_id: "c", client_secret: "entraSecret~0123" },
        },
        {
          name: "vx",
          type: "vertex",
          project: "acme",
          location: "us-central1",
          service_account: serviceAccount,
        },
      ],
      models: [{ name: "m", routes: [{ provider: "oa", model: "m" }] }],
    },
    {},
  );
  const found = configuredCredentials(config);
  for (const secret of [
    "sk-upstream-0123456789",
    "azureKey0123",
    "wJalrXUtnFEMI/K7MDENG",
    "FwoGZXIvYXdzEJr",
    "entraSecret~0123",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
    "0123456789abcdef0123",
  ])
    expect(found).toContain(secret);
  // Where things are is no secret: names, addresses, the project.
  for (const plain of ["oa", "http://127.0.0.1:1/v1", "acme", "us-east-1"])
    expect(found).not.toContain(plain);
});

test("a service account named by its file: the file's private key, read at each config version; an authorized_user file's client secret and refresh token", () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-sa-"));
  try {
    const path = join(dir, "sa.json");
    writeFileSync(
      path,
      JSON.stringify({
        client_email: "gw@acme.iam",
        private_key: "-----BEGIN PRIVATE KEY-----\nFILEKEY\n-----END PRIVATE KEY-----\n",
      }),
    );
    const config = parseConfig(
      {
        providers: [
          { name: "vx", type: "vertex", project: "acme", location: "us-central1", service_account: path },
        ],
        models: [{ name: "m", routes: [{ provider: "vx", model: "gemini" }] }],
      },
      {},
    );
    expect(configuredCredentials(config)).toContain(
      "-----BEGIN PRIVATE KEY-----\nFILEKEY\n-----END PRIVATE KEY-----\n",
    );
    // A user's ADC file (gcloud auth application-default login) in its place: its secret and refresh token.
    writeFileSync(
      path,
      JSON.stringify({
        type: "authorized_user",
        client_id: "764086051850.apps.googleusercontent.com",
        client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
        refresh_token: "1//0gRefreshToken0123",
      }),
    );
    const user = configuredCredentials(config);
    expect(user).toContain("d-FL95Q19q7MQmFpd7hHD0Ty");
    expect(user).toContain("1//0gRefreshToken0123");
    expect(user).not.toContain("764086051850.apps.googleusercontent.com");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no name and no placeholder: an api_key equal to its provider's name, local servers' placeholders, headers that are no credential", () => {
  const config = parseConfig(
    {
      providers: [
        { name: "lm-studio", type: "openai", base_url: "http://127.0.0.1:1/v1", api_key: "lm-studio" },
        { name: "corp-gateway", type: "openai", base_url: "http://127.0.0.1:2/v1", api_key: "corp-gateway" },
        {
          name: "llamacpp",
          type: "openai",
          base_url: "http://127.0.0.1:3/v1",
          api_key: "sk-no-key-required",
        },
        {
          name: "claude",
          type: "anthropic",
          api_key: "sk-ant-api03-realKey0123456789",
          headers: {
            "anthropic-beta": "prompt-caching-2024-07-31",
            "Content-Type": "application/json",
            "HTTP-Referer": "https://example.com/app",
            "X-Goog-Api-Key": "AIzaHeaderKey0123456789",
            Authorization: "Bearer headerToken0123456789",
          },
        },
      ],
      models: [{ name: "qwen-local", routes: [{ provider: "lm-studio", model: "qwen2.5-coder" }] }],
    },
    {},
  );
  const found = configuredCredentials(config);
  expect(found.sort()).toEqual(
    ["sk-ant-api03-realKey0123456789", "AIzaHeaderKey0123456789", "Bearer headerToken0123456789"].sort(),
  );
  // So an upstream's words that name them are told as said.
  const holder = {};
  holdCredentials(holder, found);
  try {
    for (const said of [
      "upstream corp-gateway answered 500",
      "route lm-studio:qwen2.5-coder failed",
      "Content-Type must be application/json",
      "Unexpected value(s) `prompt-caching-2024-07-31` for the `anthropic-beta` header",
    ])
      expect(forCallers(said)).toBe(said);
    expect(forCallers("bad key sk-ant-api03-realKey0123456789")).toBe("bad key [redacted]");
  } finally {
    holdCredentials(holder, []);
  }
});
