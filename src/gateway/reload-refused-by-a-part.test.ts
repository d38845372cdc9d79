import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileConfigSource } from "../config/config-source.ts";
import { silentLogger } from "../log/logger.ts";
import { createProvider } from "../providers/create-provider.ts";
import { createGateway, type Gateway } from "./create-gateway.ts";

// A config file valid on paper that a part cannot be built from (an embedder's provider factory
// that fails while what it stands on is missing) is refused, and the file's watch must not take it
// for the config in force: once the part is mended, a SIGHUP (gateway.reload) applies the same text.

const dir = mkdtempSync(join(tmpdir(), "mindgw-refused-by-a-part-"));
const file = join(dir, "gw.yaml");
const yaml = (provider: string) =>
  `storage: { path: '${join(dir, "gw.db")}' }\nproviders:\n  - { name: a, type: mock }\n  - { name: ${provider}, type: mock }\nmodels:\n  - { name: m, routes: [{ provider: ${provider}, model: x }] }\n`;

/** Whether the factory can build provider `b` now. */
let bCanStart = true;
/** What the factory says when it cannot. */
let bFailure = "provider b cannot start: its credentials are missing";
let gateway: Gateway;
let adminKey = "";
/** The config events published, and the warnings and errors logged, in order. */
const published: string[] = [];
/** The errors `config.rejected` events carried. */
const rejections: string[] = [];
const logged: string[] = [];
const keep = (level: string) => (message: string) => logged.push(`${level}: ${message}`);

beforeAll(async () => {
  writeFileSync(file, yaml("a2"));
  gateway = await createGateway({
    configSource: await openFileConfigSource(file),
    logger: { ...silentLogger, warn: keep("warn"), error: keep("error") },
    events: [
      {
        publish: (event) => {
          if (event.type.startsWith("config.")) published.push(event.type);
          if (event.type === "config.rejected") rejections.push(event.error);
        },
      },
    ],
    providers: (config, context) => {
      if (config.name === "b" && !bCanStart) throw new Error(bFailure);
      return createProvider(config, context);
    },
    onBootstrapKey: (key) => (adminKey = key),
  });
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function configStatus(): Promise<{ version: number; lastReloadError: string | null }> {
  const response = await gateway.handle(
    new Request("http://localhost/admin/api/status", { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  const { config } = (await response.json()) as {
    config: { version: number; lastReloadError: string | null };
  };
  return { version: config.version, lastReloadError: config.lastReloadError };
}

test("a config a part refuses is not taken for the one in force: the same file applies at the next reload once the part can be built", async () => {
  bCanStart = false;
  writeFileSync(file, yaml("b"));
  expect(await gateway.reload()).toBe(true);
  expect(await configStatus()).toEqual({
    version: 1,
    lastReloadError: "could not apply: provider b cannot start: its credentials are missing",
  });
  // Mended outside the file: the same text, read again, is applied (before, "unchanged": skipped).
  bCanStart = true;
  await gateway.reload();
  expect(await configStatus()).toEqual({ version: 2, lastReloadError: null });
  expect(await gateway.reload()).toBe(false);
});

/** `mindgw_config_reloads_total{result="rejected"}` as /metrics prints it. */
async function rejectedCount(): Promise<string | undefined> {
  const response = await gateway.handle(
    new Request("http://localhost/metrics", { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  return /^mindgw_config_reloads_total\{result="rejected"\} (\d+)$/m.exec(await response.text())?.[1];
}

test("the same file refused by a part for the same reason is tried at each reload, but logged as still refused: counted and published once", async () => {
  bCanStart = false;
  writeFileSync(file, yaml("a3"));
  await gateway.reload();
  const before = {
    published: published.length,
    logged: logged.length,
    rejected: Number(await rejectedCount()),
  };
  writeFileSync(file, yaml("b"));
  expect(await gateway.reload()).toBe(true);
  // A SIGHUP, then another (or a file event, a cluster notice): each builds it again, in vain.
  expect(await gateway.reload()).toBe(true);
  expect(await gateway.reload()).toBe(true);
  const refused = "could not apply: provider b cannot start: its credentials are missing";
  expect(published.slice(before.published)).toEqual(["config.rejected"]);
  expect(Number(await rejectedCount())).toBe(before.rejected + 1);
  // Its file's events may read it again too: each one still refused, no more.
  const [first, ...again] = logged.slice(before.logged);
  expect(first).toBe(`error: config change rejected, still serving the previous config:\n${refused}`);
  expect(again.length).toBeGreaterThanOrEqual(2);
  expect(new Set(again)).toEqual(
    new Set([`warn: config change still refused, still serving the previous config:\n${refused}`]),
  );
  expect((await configStatus()).lastReloadError).toBe(refused);
  // Another change in between: the same refusal after it is news again.
  writeFileSync(file, yaml("a4"));
  await gateway.reload();
  writeFileSync(file, yaml("b"));
  await gateway.reload();
  expect(published.slice(before.published)).toEqual([
    "config.rejected",
    "config.reloaded",
    "config.rejected",
  ]);
  expect(Number(await rejectedCount())).toBe(before.rejected + 2);
  bCanStart = true;
  await gateway.reload();
  expect((await configStatus()).lastReloadError).toBeNull();
});

test("a part's refusal that quotes a credential is logged, published and shown without it", async () => {
  bCanStart = false;
  bFailure =
    "provider b cannot start: vault login failed for https://ops:pa55w0rd@vault/v1 (vault_token=hvs.CAESIJ9x)";
  try {
    const before = { logged: logged.length, rejections: rejections.length };
    writeFileSync(file, yaml("a5"));
    await gateway.reload();
    writeFileSync(file, yaml("b"));
    await gateway.reload();
    const refused =
      "could not apply: provider b cannot start: vault login failed for https://ops:[redacted]@vault/v1 (vault_token=[redacted])";
    expect((await configStatus()).lastReloadError).toBe(refused);
    expect(logged.slice(before.logged)).toContain(
      `error: config change rejected, still serving the previous config:\n${refused}`,
    );
    expect(rejections.slice(before.rejections)).toEqual([refused]);
  } finally {
    bFailure = "provider b cannot start: its credentials are missing";
    bCanStart = true;
    await gateway.reload();
  }
});
