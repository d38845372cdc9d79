import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createGateway,
  openSqliteStorage,
  type ProviderFactory,
  parseConfig,
  silentLogger,
} from "./index.ts";

// A createGateway that fails part-way (here: a provider factory that throws) leaves nothing of
// what it built open, and has handed out no one-time admin key, through the exports only.

const dir = mkdtempSync(join(tmpdir(), "mindgw-failed-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The process's descriptors open on a database's files (the file, its WAL, its shared memory). */
const openOn = (path: string) =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;

const refusing: ProviderFactory = (config) => {
  throw new Error(`cannot build ${config.name}`);
};

const configAt = (path: string) =>
  parseConfig({
    storage: { path },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  });

/** What createGateway failed with; null where it started. */
const startFailure = (options: Parameters<typeof createGateway>[0]): Promise<unknown> =>
  createGateway(options).then(
    () => null,
    (error: unknown) => error,
  );

/** A start on a new file with `factory` fails at once, saying `message`, with nothing left open on the file. */
async function expectFactoryRefused(file: string, factory: ProviderFactory, message: string): Promise<void> {
  const path = join(dir, file);
  const failed = await startFailure({ config: configAt(path), providers: factory, logger: silentLogger });
  expect(failed).toBeInstanceOf(Error);
  expect((failed as Error).message).toBe(message);
  expect(openOn(path)).toBe(0);
}

test("a start that fails on a provider closes the built-in storage's files and hands out no bootstrap key", async () => {
  const path = join(dir, "built-in.db");
  const shown: string[] = [];
  const failed = await startFailure({
    config: configAt(path),
    providers: refusing,
    logger: silentLogger,
    onBootstrapKey: (key) => shown.push(key),
  });
  expect((failed as Error).message).toBe("cannot build demo");
  // Nothing of the database is left open (its file, WAL and shared memory stayed open before), and
  // no key was made or shown (one was).
  expect(openOn(path)).toBe(0);
  expect(shown).toEqual([]);
  // The store is still empty: the start that succeeds shows the key.
  const next = await createGateway({
    config: configAt(path),
    logger: silentLogger,
    onBootstrapKey: (key) => shown.push(key),
  });
  await next.stop();
  expect(shown).toHaveLength(1);
});

test("a start that fails on a provider closes an embedder's storage, once", async () => {
  const sqlite = openSqliteStorage(join(dir, "embedders.db"));
  let closes = 0;
  const failed = await startFailure({
    config: configAt(join(dir, "unused.db")),
    storage: {
      ...sqlite,
      close: async () => {
        closes++;
        await sqlite.close();
      },
    },
    providers: refusing,
    logger: silentLogger,
  });
  expect((failed as Error).message).toBe("cannot build demo");
  expect(closes).toBe(1);
});

test("a start that fails at its bootstrap key, the last step, starts no backfill on the storage its undo closes", async () => {
  const sqlite = openSqliteStorage(join(dir, "bootstrap-fails.db"));
  const steps: string[] = [];
  const failed = await startFailure({
    config: configAt(join(dir, "unused-too.db")),
    storage: {
      ...sqlite,
      keys: {
        ...sqlite.keys,
        count: () => Promise.resolve(0),
        createIfEmpty: () => Promise.reject(new Error("key store down")),
      },
      // A backfill left to run once the undo had closed the storage read a closed database.
      backfill: async () => void steps.push("backfill"),
      close: async () => {
        steps.push("storage closed");
        await sqlite.close();
      },
    },
    events: [{ publish: () => {}, close: async () => void steps.push("sink closed") }],
    logger: silentLogger,
    onBootstrapKey: () => {},
  });
  expect((failed as Error).message).toContain("key store down");
  expect(steps).toEqual(["sink closed", "storage closed"]);
});

test("a provider factory that returns no provider (a JavaScript caller's) fails the start at once, naming the provider", () =>
  expectFactoryRefused(
    "no-provider.db",
    (() => undefined) as unknown as ProviderFactory,
    "the provider factory returned no provider for demo (undefined): it must return a Provider",
  ));

// Before, the Promise was taken for a provider: the start resolved and every chat answered 500.
test("an async provider factory (a JavaScript caller's) fails the start at once, saying it must be synchronous", () =>
  expectFactoryRefused(
    "async-provider.db",
    (async (config: { name: string }) => ({ name: config.name })) as unknown as ProviderFactory,
    "the provider factory returned a Promise for demo: it must be synchronous and return a Provider",
  ));

test("an onBootstrapKey that throws fails the start and leaves no valid key unseen: the next start on the file hands over one that works", async () => {
  const path = join(dir, "receiver-throws.db");
  let seen = "";
  const failed = await startFailure({
    config: configAt(path),
    logger: silentLogger,
    onBootstrapKey: (key) => {
      seen = key;
      throw new Error("vault down");
    },
  });
  expect((failed as Error).message).toBe("vault down");
  const shown: string[] = [];
  const startOn = () =>
    createGateway({ config: configAt(path), logger: silentLogger, onBootstrapKey: (key) => shown.push(key) });
  const next = await startOn();
  try {
    // Before, the first key stayed valid and unseen, and this start made none.
    expect(shown).toHaveLength(1);
    const keyList = (key: string) =>
      next.handle(new Request("http://gw/admin/api/keys", { headers: { authorization: `Bearer ${key}` } }));
    expect((await keyList(shown[0] ?? "")).status).toBe(200);
    expect((await keyList(seen)).status).toBe(401);
  } finally {
    await next.stop();
  }
  // A key was handed over: a later start makes none.
  await (await startOn()).stop();
  expect(shown).toHaveLength(1);
});

test("an async onBootstrapKey whose promise rejects fails the start like one that throws: its key never admits", async () => {
  const path = join(dir, "async-receiver-rejects.db");
  let seen = "";
  const failed = await startFailure({
    config: configAt(path),
    logger: silentLogger,
    onBootstrapKey: async (key) => {
      seen = key;
      await Promise.resolve();
      throw new Error("vault down");
    },
  });
  // Before, the promise went unawaited: the start resolved, the key was made valid, held by nobody.
  expect((failed as Error).message).toBe("vault down");
  const shown: string[] = [];
  const next = await createGateway({
    config: configAt(path),
    logger: silentLogger,
    onBootstrapKey: (key) => void shown.push(key),
  });
  try {
    expect(shown).toHaveLength(1);
    const keyList = (key: string) =>
      next.handle(new Request("http://gw/admin/api/keys", { headers: { authorization: `Bearer ${key}` } }));
    expect((await keyList(shown[0] ?? "")).status).toBe(200);
    expect((await keyList(seen)).status).toBe(401);
  } finally {
    await next.stop();
  }
});
