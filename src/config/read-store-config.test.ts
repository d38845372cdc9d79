import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStoreConfig } from "./read-store-config.ts";

// What the store commands read of a config file (keys, audit, tenants, shadow report with -c):
// storage, tenants and cluster; a cluster whose variables are unset is left out, saying why.

const dir = mkdtempSync(join(tmpdir(), "mindgw-store-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const CLUSTERED = [
  "storage: { driver: postgres, url: 'postgres://u@127.0.0.1:1/db' }",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with ${VAR} references
  "cluster: { redis_url: '${REDIS_URL}', advertise_url: 'http://10.0.0.7:8080', secret: '${SECRET}' }",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with a ${VAR} reference
  "providers: [{ name: up, type: openai, base_url: 'http://127.0.0.1:1/v1', api_key: '${UP_KEY}' }]",
];

test("a cluster whose variables are set is read; one with a variable unset is left out, saying which", async () => {
  const path = fileWith("clustered.yaml", CLUSTERED);
  const set = await readStoreConfig(path, { REDIS_URL: "redis://127.0.0.1:1", SECRET: "s".repeat(16) });
  expect(set.config.cluster?.redis_url).toBe("redis://127.0.0.1:1");
  expect(set.clusterUnread).toBeUndefined();
  const unset = await readStoreConfig(path, { REDIS_URL: "redis://127.0.0.1:1" });
  expect(unset.config.cluster).toBeUndefined();
  expect(unset.clusterUnread).toBe("cluster.secret: environment variable SECRET is not set");
  expect(unset.config.providers).toEqual([]);
});

test("a key that is no section is refused by name at its place, its variables unread; an x- key is not", async () => {
  const path = fileWith("misspelt.yaml", [
    "x-anchors: { any: thing }",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with a ${VAR} reference
    "storag: { url: '${UNSET_URL}' }",
  ]);
  await expect(readStoreConfig(path, {})).rejects.toThrow(`${path}:2:1: storag: unknown field`);
  const anchored = fileWith("anchored.yaml", ["x-anchors: { any: thing }", "storage: { path: ':memory:' }"]);
  expect((await readStoreConfig(anchored, {})).config.storage.path).toBe(":memory:");
});
