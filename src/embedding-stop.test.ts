import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ConfigWatchHandlers,
  createGateway,
  openSqliteStorage,
  type Storage,
  silentLogger,
} from "./index.ts";
import { answering, anyone, chatRequest, configIn } from "./testing/embedder-parts.ts";
import { waitForValue } from "./testing/wait-for.ts";

// The library form's lifecycle, through the exports only: stop closes every part, by its deadline,
// once; listen opens one listener; a failing backfill or no onBootstrapKey said, not thrown.
const dir = mkdtempSync(join(tmpdir(), "mindgw-embed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configFor = configIn(dir);

test("stop closes every part though some fail: the audit rows are written, storage closed, and stop rejects naming the failures", async () => {
  const path = join(dir, "failing-parts.db");
  const sqlite = openSqliteStorage(path);
  let storageClosed = false;
  // The spend store's database went away: the built-in policy's last spend flush fails on stop.
  const storage: Storage = {
    ...sqlite,
    spend: {
      ...sqlite.spend,
      add: async () => {
        throw new Error("spend.add: connection to storage lost");
      },
    },
    close: async () => {
      await sqlite.close();
      storageClosed = true;
    },
  };
  let goodSinkClosed = false;
  let providerCloses = 0;
  const embedded = await createGateway({
    config: configFor("failing-parts", {
      storage: { path },
      // Rows wait in the writer's queue until stop flushes them.
      audit: { flush_ms: 10_000 },
      prices: { m: { input_per_mtok: 1000, output_per_mtok: 1000 } },
    }),
    storage,
    auth: anyone,
    logger: silentLogger,
    providers: (config) =>
      answering(config.name, () => {
        providerCloses++;
        throw new Error("pool already gone");
      }),
    events: [
      { publish: () => {}, close: () => Promise.reject(new Error("sink backend gone")) },
      {
        publish: () => {},
        close: async () => {
          goodSinkClosed = true;
        },
      },
    ],
  });
  for (let i = 0; i < 4; i++) expect((await embedded.handle(chatRequest())).status).toBe(200);

  const stopped = embedded.stop();
  const failure = await stopped.then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(AggregateError);
  expect((failure as AggregateError).message).toBe(
    "the gateway stopped, but these parts failed to: the limits policy (spend flush), providers, event sinks",
  );
  expect((failure as AggregateError).errors).toHaveLength(3);
  expect([storageClosed, goodSinkClosed, providerCloses]).toEqual([true, true, 1]);
  // Stopping again is the same stop: it neither runs the parts again nor finds them closed.
  expect(embedded.stop()).toBe(stopped);

  const written = openSqliteStorage(path, { readonly: true });
  try {
    const rows = await written.audit.select({ order: "asc", bodies: false }, null, 100);
    expect(rows.map((row) => row.record.status)).toEqual([200, 200, 200, 200]);
  } finally {
    await written.close();
  }
});

test("stop ends by its deadline though a sink's and a policy's close never return: it rejects naming them, and storage is closed", async () => {
  const path = join(dir, "hung-closes.db");
  const sqlite = openSqliteStorage(path);
  let storageClosed = false;
  const storage: Storage = {
    ...sqlite,
    close: async () => {
      await sqlite.close();
      storageClosed = true;
    },
  };
  const never = () => new Promise<void>(() => {});
  const embedded = await createGateway({
    config: configFor("hung-closes", { storage: { path }, server: { drain_timeout: "100ms" } }),
    storage,
    auth: anyone,
    logger: silentLogger,
    policy: { admit: () => ({}), record: () => 0, close: never },
    events: [{ publish: () => {}, close: never }],
  });
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  const failure = await embedded.stop().then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(AggregateError);
  // The policy is the embedder's: named so, not as the built-in limits' spend flush.
  expect((failure as AggregateError).message).toBe(
    "the gateway stopped, but these parts failed to: the embedder's policy, event sinks",
  );
  expect((failure as AggregateError).errors.map((error) => (error as Error).message)).toEqual([
    "the embedder's policy did not finish in the stop's time",
    "event sinks did not finish in the stop's time",
  ]);
  expect(storageClosed).toBe(true);
});

test("a storage whose backfill fails: the gateway says so at error level and serves on, where the rejection was left unhandled (which ends the process)", async () => {
  const errors: { message: string; fields: unknown }[] = [];
  const logger = {
    ...silentLogger,
    error: (message: string, fields?: unknown) => void errors.push({ message, fields }),
  };
  const sqlite = openSqliteStorage(join(dir, "failing-backfill.db"));
  const storage: Storage = {
    ...sqlite,
    backfill: () => Promise.reject(new Error("backfill_progress: relation gone")),
  };
  const embedded = await createGateway({
    config: configFor("failing-backfill"),
    storage,
    auth: anyone,
    logger,
  });
  try {
    const told = await waitForValue("the backfill's failure told", () => errors[0]);
    expect(told).toEqual({
      message: "storage backfill failed; the node serves on, and its next start runs the backfill again",
      fields: { error: "Error: backfill_progress: relation gone" },
    });
    expect((await embedded.handle(chatRequest())).status).toBe(200);
  } finally {
    await embedded.stop();
  }
});

test("without onBootstrapKey no admin key is created for nobody: the store stays empty and a warning says why, unless an authenticator of the embedder's admits its callers", async () => {
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
  const path = join(dir, "no-receiver.db");
  const config = configFor("no-receiver", { storage: { path }, auth: { bootstrap_admin: true } });
  const embedded = await createGateway({ config, logger });
  expect(await embedded.storage.keys.list({ includeRevoked: true })).toEqual([]);
  expect(warnings).toContain(
    "auth.bootstrap_admin is on but no onBootstrapKey was given to hand the one-time admin key to: none was created",
  );
  await embedded.stop();
  // The gateway's keys admit nobody by themselves under an embedder's authenticator: no key is
  // missed, and no warning at every start (bootstrap_admin is on by default).
  warnings.length = 0;
  const own = await createGateway({ config, auth: anyone, logger });
  expect(await own.storage.keys.list({ includeRevoked: true })).toEqual([]);
  expect(warnings).toEqual([]);
  await own.stop();
  // A later start that has a receiver still gets the key.
  const shown: string[] = [];
  const next = await createGateway({
    config,
    auth: anyone,
    logger,
    onBootstrapKey: (key) => shown.push(key),
  });
  expect(shown).toHaveLength(1);
  await next.stop();
});

test("stop closes the providers of the current version and of one still retiring, each once", async () => {
  const closed: string[] = [];
  let handlers: ConfigWatchHandlers | undefined;
  const initial = configFor("providers-on-stop", { server: { drain_timeout: "1h" } });
  // One pooled client handed to every version, as examples/custom-provider.ts does, beside a
  // provider made anew for each.
  const pooled = answering("pooled", () => closed.push("pooled"));
  let freshMade = 0;
  const embedded = await createGateway({
    configSource: {
      initial,
      path: null,
      watch(given) {
        handlers = given;
        return () => {};
      },
    },
    auth: anyone,
    logger: silentLogger,
    providers: (config) => {
      if (config.name === "demo") return pooled;
      const label = `fresh #${++freshMade}`;
      return answering(config.name, () => closed.push(label));
    },
  });
  const withFresh = (extra: Record<string, unknown> = {}) =>
    configFor("providers-on-stop", {
      server: { drain_timeout: "1h" },
      providers: [
        { name: "demo", type: "mock" },
        { name: "fresh", type: "mock" },
      ],
      ...extra,
    });
  handlers?.onValid(withFresh());
  // The version just retired had the pooled provider only; the current one still uses it.
  expect(closed).toEqual([]);
  // Another version (any applied setting: restart-only ones alone make none).
  handlers?.onValid(withFresh({ routing: { retries: 3 } }));
  expect(freshMade).toBe(2);
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  await embedded.stop();
  // Versions 2 and 3 each made their own `fresh`; the pooled one closes once, when no version holds it.
  expect(closed.sort()).toEqual(["fresh #1", "fresh #2", "pooled"]);
});

test("stop called again, while the first runs or after it, is the same stop", async () => {
  const embedded = await createGateway({
    config: configFor("stop-twice"),
    auth: anyone,
    logger: silentLogger,
  });
  expect((await embedded.handle(chatRequest())).status).toBe(200);
  const first = embedded.stop();
  expect(embedded.stop()).toBe(first);
  await first;
  await embedded.stop();
});

test("listen opens one listener, which stop closes; a second listen, or one after stop, throws", async () => {
  const embedded = await createGateway({
    config: configFor("listen-once"),
    auth: anyone,
    logger: silentLogger,
  });
  const { port } = embedded.listen("127.0.0.1", 0);
  expect(() => embedded.listen("127.0.0.1", 0)).toThrow(`the gateway already listens on 127.0.0.1:${port}`);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  await embedded.stop();
  await embedded.stop();
  expect(
    await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => "answered",
      () => "refused",
    ),
  ).toBe("refused");
  expect(() => embedded.listen("127.0.0.1", 0)).toThrow("the gateway has stopped");
});
