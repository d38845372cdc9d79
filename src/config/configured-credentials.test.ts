import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

test("a service account named by its file: the file's private key, read at each config version", () => {
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
