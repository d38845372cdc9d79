import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../log/logger.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { countingKeyStore } from "../testing/counting-key-store.ts";
import { numberedKey } from "../testing/key-record.ts";
import { unlistedTenantsWarning } from "./unlisted-tenants-warning.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const withTenants = (...names: string[]) =>
  parseConfig(
    {
      providers: [{ name: "p", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "p", model: "x" }] }],
      tenants: names.map((name) => ({ name })),
    },
    {},
  );

test("a reload that removes tenants warns of each one that still has active keys, naming it and how many", async () => {
  const storage = openSqliteStorage(tmp.file("removed.db"));
  try {
    // team-b: two active keys and a revoked one; team-c: one; team-d: only a revoked key.
    for (const over of [
      { tenant: "team-b" },
      { tenant: "team-b" },
      { tenant: "team-b", revokedAt: 1 },
      { tenant: "team-c" },
      { tenant: "team-d", revokedAt: 1 },
    ])
      await storage.keys.create(numberedKey({ ...over, expiresAt: null }));
    const lines: string[] = [];
    const logger = createLogger({ format: "text", write: (line) => lines.push(line) });
    const warn = unlistedTenantsWarning(
      withTenants("team-a", "team-b", "team-c", "team-d"),
      storage.keys,
      logger,
      "gateway",
    ).applied;

    await warn(withTenants("team-a", "team-b", "team-c", "team-d"));
    expect(lines).toEqual([]);
    await warn(withTenants("team-a", "team-c"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'config reloaded without tenant "team-b": its 2 active keys are refused from now on (401), as a JWT naming the tenant is',
    );
    // The last tenant gone: its keys are free labels now, and the warning says that instead.
    lines.length = 0;
    await warn(withTenants());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'config reloaded without tenant "team-c": its 1 active key is bound by nothing but each key\'s own models and limits from now on',
    );
  } finally {
    await storage.close();
  }
});

test("at start, each tenant not listed that has active keys is named with how many, an embedder's store without countActiveOutside alike", async () => {
  const storage = openSqliteStorage(tmp.file("started.db"));
  try {
    for (const over of [
      { tenant: "ops" },
      { tenant: "ops", revokedAt: 1 },
      { tenant: "team-a" },
      { tenant: "default" },
      { tenant: "gone", expiresAt: 1 },
      { tenant: "lab" },
    ])
      await storage.keys.create(numberedKey({ expiresAt: null, ...over }));
    const { keys: listing } = countingKeyStore(storage.keys, ["countActiveOutside"]);
    for (const keys of [storage.keys, listing]) {
      const lines: string[] = [];
      const logger = createLogger({ format: "text", write: (line) => lines.push(line) });
      await unlistedTenantsWarning(withTenants("team-a"), keys, logger, "gateway").started();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(
        'tenant "lab" is not among the configured tenants: its 1 active key is refused (401)',
      );
      expect(lines[1]).toContain(
        'tenant "ops" is not among the configured tenants: its 1 active key is refused (401)',
      );
      // With no tenant listed, every key's tenant is a free label: nothing to say.
      lines.length = 0;
      await unlistedTenantsWarning(withTenants(), keys, logger, "gateway").started();
      expect(lines).toEqual([]);
    }
  } finally {
    await storage.close();
  }
});

test("with an embedder's authenticator nothing is said, at start or at a reload: it refuses no caller for its tenant", async () => {
  const storage = openSqliteStorage(tmp.file("embedder.db"));
  try {
    for (const tenant of ["ops", "team-a", "team-b"])
      await storage.keys.create(numberedKey({ tenant, expiresAt: null }));
    const lines: string[] = [];
    const logger = createLogger({ format: "text", write: (line) => lines.push(line) });
    const warning = unlistedTenantsWarning(withTenants("team-a", "team-b"), storage.keys, logger, "embedder");
    await warning.started();
    await warning.applied(withTenants("team-a"));
    await warning.applied(withTenants());
    await warning.applied(withTenants("team-b"));
    expect(lines).toEqual([]);
  } finally {
    await storage.close();
  }
});

test("stop waits for a count still running, until its deadline; one cut once the stop has begun is not said as the store's failure", async () => {
  const storage = openSqliteStorage(tmp.file("stop.db"));
  try {
    const lines: string[] = [];
    const logger = createLogger({ format: "text", write: (line) => lines.push(line) });
    const heldKeys = (held: Promise<Map<string, number>>) => ({
      ...storage.keys,
      countActiveOutside: () => held,
    });

    // Answered while the stop waits: said, and the stop returns once it is.
    const answered = Promise.withResolvers<Map<string, number>>();
    const waited = unlistedTenantsWarning(
      withTenants("team-a"),
      heldKeys(answered.promise),
      logger,
      "gateway",
    );
    const started = waited.started();
    let stopped = false;
    const stopping = waited.stop(performance.now() + 60_000).then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    answered.resolve(new Map([["ops", 2]]));
    await stopping;
    await started;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'tenant "ops" is not among the configured tenants: its 2 active keys are refused',
    );

    // Past the deadline: let go at once, and its failure afterwards (storage closed) unsaid.
    lines.length = 0;
    const cut = Promise.withResolvers<Map<string, number>>();
    const late = unlistedTenantsWarning(withTenants("team-a"), heldKeys(cut.promise), logger, "gateway");
    const lateStart = late.started();
    await late.stop(performance.now());
    cut.reject(new Error("the database is closed"));
    await lateStart;
    expect(lines).toEqual([]);
  } finally {
    await storage.close();
  }
});
