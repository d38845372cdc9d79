import { afterAll, afterEach, beforeAll } from "bun:test";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "../../../test/e2e/harness/postgres-server.ts";
import type { Storage } from "../storage.ts";
import { holdBackfill, writeDatabaseToBackfill } from "./backfill-fixture.ts";
import type { PostgresOptions } from "./postgres-client.ts";
import { responseItemBackfill } from "./postgres-item-backfill.ts";
import { openPostgresStorage } from "./postgres-storage.ts";

/** What a node of the tests connects with: a small pool, short timeouts, no TLS. */
export const nodeOptions = (url: string): PostgresOptions => ({
  url,
  pool: 3,
  statementTimeoutMs: 5_000,
  connectTimeoutMs: 1_000,
  sslmode: "disable",
});

/** A fresh database with a node's storage and a client of its own on it. */
export interface OpenedDatabase {
  readonly url: string;
  readonly storage: Storage;
  readonly sql: SQL;
}

/** As `OpenedDatabase`, its rows waiting for a backfill another node's batch holds (`held`). */
export interface HeldBackfill extends OpenedDatabase {
  readonly held: { release(): Promise<void> };
}

/**
 * Runs each of `closes` in order, every one of them whatever the others do; then throws the
 * first one's error, if one failed: a close that fails must not leave the rest open.
 */
export async function closeEach(closes: readonly (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closes) await close().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

/**
 * A throwaway PostgreSQL server for a test file (started before its tests, stopped after), and
 * what a test opens on it: each store, client and held backfill is closed once the test ends,
 * passed or not, the held backfills released first (another node's batch, which a closing node's
 * may wait for), then the rest, the last opened first, every one even if one fails. A server a
 * test killed and did not start again (it failed between) is started first, for the tests after.
 */
export function postgresFixture() {
  let server: PostgresServer | undefined;
  /** Killed by a test (`server.kill`), not started again yet. */
  let down = false;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());

  let releases: (() => Promise<unknown>)[] = [];
  let closes: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    const [release, close] = [releases, closes];
    releases = [];
    closes = [];
    if (down) await running().start();
    down = false;
    for (const each of release) await each().catch(() => {});
    await closeEach(close.reverse());
  }, 60_000);

  const running = (): PostgresServer => {
    if (server === undefined) throw new Error("the PostgreSQL server is not started");
    return server;
  };

  /** Closed once the test ends (see above). */
  function closeAfter<T extends { close(): Promise<unknown> }>(opened: T): T {
    closes.push(() => opened.close());
    return opened;
  }

  const fixture = {
    /** The server itself (`kill` and `start` it for a lost database; started again after the test). */
    get server(): PostgresServer {
      const server = running();
      return {
        ...server,
        kill: async () => {
          down = true;
          await server.kill();
        },
        start: async () => {
          await server.start();
          down = false;
        },
      };
    },
    /** A fresh, empty database; its URL. */
    database: (): Promise<string> => running().createDatabase(),
    /** A node's storage on `url` (migrated as a node opens it), closed after the test. */
    async storage(url: string, options: Partial<PostgresOptions> = {}): Promise<Storage> {
      const storage = await openPostgresStorage({ ...nodeOptions(url), ...options });
      // A store the test closes itself is not closed again: its audit thread is gone by then.
      let closing: Promise<void> | undefined;
      const close = storage.close.bind(storage);
      storage.close = () => (closing ??= close());
      return closeAfter(storage);
    },
    /** A client of one connection on `url`, closed after the test. */
    client: (url: string): SQL => closeAfter(new SQL({ url, max: 1 })),
    /** Closes `opened` after the test: what the fixture does not open itself. */
    closeAfter,
    /** A fresh database with a node's storage and a client on it. */
    async opened(): Promise<OpenedDatabase> {
      const url = await fixture.database();
      const storage = await fixture.storage(url);
      return { url, storage, sql: fixture.client(url) };
    },
    /** A fresh database as the release before the backfills left it (backfill-fixture.ts). */
    async toBackfill(responses: number, pairs: number): Promise<string> {
      const url = await fixture.database();
      await writeDatabaseToBackfill(url, responses, pairs);
      return url;
    },
    /** Another node's batch holding the item index's backfill at `url`, released after the test. */
    async heldBackfill(url: string): Promise<{ release(): Promise<void> }> {
      const held = await holdBackfill(url, responseItemBackfill.mark);
      releases.push(() => held.release());
      return held;
    },
    /**
     * `responses` responses and `pairs` pairs to backfill (`toBackfill`), the item index's backfill
     * held by another node's batch, then a node's storage (`options` its own) and a client on them.
     */
    async waitingBackfill(
      responses: number,
      pairs = 0,
      options: Partial<PostgresOptions> = {},
    ): Promise<HeldBackfill> {
      const url = await fixture.toBackfill(responses, pairs);
      const held = await fixture.heldBackfill(url);
      const storage = await fixture.storage(url, options);
      return { url, held, storage, sql: fixture.client(url) };
    },
  };
  return fixture;
}

/** A log that keeps its lines, for a backfill to report to. */
export function recordedLog() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const keep = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  return { lines, log: { info: keep, warn: keep, error: keep } };
}

/** Output text PostgreSQL's JSON reader refuses: an answer cut inside an emoji, and one holding NUL. */
export const unreadable = { emoji: "😀".slice(0, 1), nul: "a\u0000b" };
