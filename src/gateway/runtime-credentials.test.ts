import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { withoutCredentials } from "../core/credentials.ts";
import { RouteHealth } from "../routing/route-health.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { RuntimeHolder, type SnapshotParts } from "./runtime.ts";

// What core/credentials.ts knows of a gateway's config versions, through the real RuntimeHolder.

const dir = mkdtempSync(join(tmpdir(), "mindgw-runtime-credentials-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parts: SnapshotParts = {
  providers: (provider) => ({
    name: provider.name,
    dialect: "openai",
    call: async () => ({ kind: "json", body: {} }),
  }),
  workers: undefined,
  health: new RouteHealth({ failures: 5, cooldownMs: 1000 }),
  authenticatorFor: () => async () => {
    throw new Error("no");
  },
  policy: { admit: () => ({}), record: () => 0 },
  router: { log: () => {} },
};

const serviceAccount = (privateKey: string) =>
  JSON.stringify({
    client_email: "gw@acme.iam.gserviceaccount.com",
    private_key: privateKey,
    private_key_id: "k1",
  });

const withKeyFile = (file: string, apiKey: string) =>
  parseConfig({
    providers: [
      { name: "vx", type: "vertex", project: "acme", location: "us-central1", service_account: file },
      { name: "oa", type: "openai", base_url: "http://127.0.0.1:1/v1", api_key: apiKey },
    ],
  });

test("a version's credentials are read as it is built: a key file rotated on disk without a reload leaves the loaded key known", () => {
  const file = join(dir, "sa.json");
  writeFileSync(file, serviceAccount("loadedPrivateKey-0123456789"));
  const holder = new RuntimeHolder(withKeyFile(file, "firstApiKey-0123456789"), parts);
  try {
    writeFileSync(file, serviceAccount("rotatedPrivateKey-0123456789"));
    // A reload of another value re-reads the file for its own version; the retiring one keeps its own.
    holder.swap(withKeyFile(file, "secondApiKey-0123456789"));
    expect(withoutCredentials("loadedPrivateKey-0123456789 firstApiKey-0123456789")).toBe(
      "[redacted] [redacted]",
    );
    expect(withoutCredentials("rotatedPrivateKey-0123456789 secondApiKey-0123456789")).toBe(
      "[redacted] [redacted]",
    );
    expect(holder.current.credentials).toContain("rotatedPrivateKey-0123456789");
  } finally {
    holder.close();
  }
  expect(withoutCredentials("secondApiKey-0123456789")).toBe("secondApiKey-0123456789");
});

test("a gateway never stopped keeps nothing alive for its credentials: once collected, they are forgotten", async () => {
  const apiKey = "neverStoppedKey-0123456789";
  (() => {
    new RuntimeHolder(withKeyFile(join(dir, "absent.json"), apiKey), parts);
  })();
  expect(withoutCredentials(apiKey)).toBe("[redacted]");
  const forgotten = await waitForValue("the collected holder's credentials forgotten", () => {
    Bun.gc(true);
    return withoutCredentials(apiKey) === apiKey;
  });
  expect(forgotten).toBe(true);
});
