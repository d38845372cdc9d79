import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../auth/api-key.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { createLogger } from "../log/logger.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { KeyStore } from "../storage/storage.ts";
import { handReloadedSource } from "../testing/hand-reloaded-source.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { numberedKey } from "../testing/key-record.ts";
import { tenantsConfig } from "../testing/tenants-config.ts";
import { waitForValue } from "../testing/wait-for.ts";

// Keys whose tenant `tenants:` does not list are refused (401): the gateway says so once per
// tenant, naming it and how many active keys it holds, at startup (a tenant renamed while the
// gateway was stopped) and at a reload that starts listing tenants (a key's free label among none).

const dir = mkdtempSync(join(tmpdir(), "mindgw-unlisted-tenant-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway on `initial` over a store with two active keys of `ops`, a revoked one of `old`, one of `team-a` and one outside every tenant. */
async function gatewayOn(file: string, initial: Config, auth?: Authenticator) {
  const storage = openSqliteStorage(join(dir, file));
  const plains: string[] = [];
  for (const over of [
    { tenant: "ops" },
    { tenant: "ops" },
    { tenant: "old", revokedAt: 1 },
    { tenant: "team-a" },
    { tenant: "default" },
  ]) {
    const { plain, ...secret } = generateApiKey();
    plains.push(plain);
    await storage.keys.create(numberedKey({ ...secret, ...over, expiresAt: null }));
  }
  const lines: string[] = [];
  const { source, reload } = handReloadedSource(initial);
  // Every count of the keys asked of the store, to wait for before reading what was said.
  const counts: Promise<unknown>[] = [];
  const track = <T>(count: Promise<T>) => {
    counts.push(count);
    return count;
  };
  const { countActive, countActiveOutside } = storage.keys;
  const keys: KeyStore = {
    ...storage.keys,
    ...(countActive && {
      countActive: (...args: Parameters<typeof countActive>) => track(countActive(...args)),
    }),
    ...(countActiveOutside && {
      countActiveOutside: (...args: Parameters<typeof countActiveOutside>) =>
        track(countActiveOutside(...args)),
    }),
  };
  const gateway = await createGateway({
    configSource: source,
    storage: { ...storage, keys },
    ...(auth ? { auth } : {}),
    logger: createLogger({ format: "text", level: "info", write: (line) => lines.push(line) }),
  });
  const warnings = () => lines.filter((line) => line.includes("active key"));
  const stop = async () => {
    await gateway.stop();
    await storage.close();
  };
  /** Once every count asked for has settled and what it said is written. */
  const counted = async () => {
    await Promise.allSettled(counts);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { reload, warnings, plains, stop, counted };
}

test("a gateway started on tenants that do not include a key's tenant warns, once for that tenant, naming it and its active keys", async () => {
  const { warnings, plains, stop } = await gatewayOn("start.db", tenantsConfig(["team-a"]));
  try {
    const [line] = await waitForValue("the startup warning", () => warnings().length > 0 && warnings());
    expect(line).toContain(
      'tenant "ops" is not among the configured tenants: its 2 active keys are refused (401), as a JWT naming the tenant is',
    );
    expect(line).toContain(" warn ");
    // Never a key's secret; nothing of a tenant listed, of `default` or of one with only revoked keys.
    for (const plain of plains) expect(line).not.toContain(plain);
    expect(warnings()).toHaveLength(1);
  } finally {
    await stop();
  }
});

test("a reload from no tenants to some warns of each key tenant the new ones do not include, once", async () => {
  const { reload, warnings, stop } = await gatewayOn("reload.db", tenantsConfig([]));
  try {
    expect(warnings()).toEqual([]);
    await reload(tenantsConfig(["team-a"]));
    const [line] = await waitForValue("the reload's warning", () => warnings().length > 0 && warnings());
    expect(line).toContain(
      'config reloaded with tenants that do not include "ops": its 2 active keys are refused from now on (401), as a JWT naming the tenant is',
    );
    // A reload that refuses no more keys says nothing again; one that removes team-a names it alone.
    await reload(tenantsConfig(["team-a", "team-b"]));
    await reload(tenantsConfig(["team-b"]));
    const after = await waitForValue("the removal's warning", () => warnings().length > 1 && warnings());
    expect(after).toHaveLength(2);
    expect(after[1]).toContain(
      'config reloaded without tenant "team-a": its 1 active key is refused from now on (401)',
    );
  } finally {
    await stop();
  }
});

test("a gateway whose embedder authenticates its callers says nothing of keys refused, at start or at a reload: it refuses none for its tenant", async () => {
  // tenants/bind-tenant.ts: an embedder's principal of a tenant not listed is served, bound as a
  // caller outside every tenant is; the embedder's authenticator, not the config, knows its teams.
  const { reload, warnings, stop, counted } = await gatewayOn(
    "embedder.db",
    tenantsConfig(["team-a"]),
    async () => jwtCaller,
  );
  try {
    await reload(tenantsConfig(["team-b"]));
    await reload(tenantsConfig([]));
    await reload(tenantsConfig(["team-a"]));
  } finally {
    await stop();
  }
  await counted();
  expect(warnings()).toEqual([]);
});

test("a gateway stopped while its start-up count is still reading says nothing of keys that could not be counted", async () => {
  const storage = openSqliteStorage(join(dir, "quick-stop.db"));
  await storage.keys.create(numberedKey({ tenant: "ops", expiresAt: null }));
  // The count is held until storage closes, which cuts it, as a database closing under a read does.
  const held = Promise.withResolvers<Map<string, number>>();
  let asked = false;
  const lines: string[] = [];
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      tenants: [{ name: "team-a" }],
      server: { drain_timeout: "50ms" },
    }),
    storage: {
      ...storage,
      keys: {
        ...storage.keys,
        countActiveOutside: () => {
          asked = true;
          return held.promise;
        },
      },
      close: async () => {
        held.reject(new Error("the database is closed"));
        await storage.close();
      },
    },
    logger: createLogger({ format: "text", level: "info", write: (line) => lines.push(line) }),
  });
  await waitForValue("the start-up count", () => asked);
  await gateway.stop();
  // Whatever the cut count would say is written once it has settled and its reaction has run.
  await held.promise.catch(() => {});
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines.filter((line) => line.includes("could not be counted") || line.includes("stop:"))).toEqual([]);
});
