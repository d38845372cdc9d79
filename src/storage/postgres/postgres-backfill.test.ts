import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "../../../test/e2e/harness/postgres-server.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { type Backfill, backfillState, runBackfill } from "./postgres-backfill.ts";
import { migratePostgres } from "./postgres-migrate.ts";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server.stop());

/** A backfill of `rows_to_fill` (n from 1 to 1,000), whose batch locks the rows it fills. */
const fillRows: Backfill = {
  mark: { component: "probe.filled", version: 1 },
  what: "the probe's rows",
  async left(sql, after) {
    const [row]: { n: number }[] =
      await sql`SELECT count(*)::int AS n FROM rows_to_fill WHERE n > ${Number(after ?? 0)}`;
    return row?.n ?? 0;
  },
  async step(tx, after, rows) {
    const [batch]: { last: string | null; rows: number }[] = await tx`
      WITH batch AS (
        SELECT n FROM rows_to_fill WHERE n > ${Number(after ?? 0)} ORDER BY n LIMIT ${rows} FOR UPDATE
      ), filled AS (
        UPDATE rows_to_fill r SET filled = true FROM batch WHERE r.n = batch.n RETURNING 1
      )
      SELECT max(n)::text AS last, (SELECT count(*)::int FROM filled) AS rows FROM batch`;
    return batch?.last ? { after: batch.last, rows: batch.rows } : null;
  },
  async rowAfter(sql, after) {
    const [row]: { n: number }[] =
      await sql`SELECT n FROM rows_to_fill WHERE n > ${Number(after ?? 0)} ORDER BY n LIMIT 1`;
    return row ? `rows_to_fill WHERE n = ${row.n}` : null;
  },
};

/** Locks row `n` of `rows_to_fill`, as a stuck row would hold its batch, until `release`. */
async function holdRow(url: string, n: number): Promise<{ release(): Promise<void> }> {
  const sql = new SQL({ url, max: 1 });
  const released = Promise.withResolvers<void>();
  const holds = Promise.withResolvers<void>();
  const held = sql.begin(async (tx) => {
    await tx`SELECT 1 FROM rows_to_fill WHERE n = ${n} FOR UPDATE`;
    holds.resolve();
    await released.promise;
  });
  await Promise.race([holds.promise, held]);
  return {
    async release() {
      released.resolve();
      await held;
      await sql.close();
    },
  };
}

/** Locks `backfill_progress` whole, as an operator's DDL on it would, until `release`. */
async function holdProgressTable(url: string): Promise<{ release(): Promise<void> }> {
  const sql = new SQL({ url, max: 1 });
  const released = Promise.withResolvers<void>();
  const holds = Promise.withResolvers<void>();
  const held = sql.begin(async (tx) => {
    await tx`LOCK TABLE backfill_progress IN ACCESS EXCLUSIVE MODE`;
    holds.resolve();
    await released.promise;
  });
  await Promise.race([holds.promise, held]);
  let releasing: Promise<void> | undefined;
  return {
    release() {
      released.resolve();
      releasing ??= held.finally(() => sql.close());
      return releasing;
    },
  };
}

/** A log that keeps its lines with their level. */
function recordedLog() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const keep =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  return { lines, log: { info: keep("info"), warn: keep("warn"), error: keep("error") } };
}

/** A fresh database holding `rows_to_fill`, 1 to 1,000, none filled. */
async function databaseOfRows(): Promise<string> {
  const url = await server.createDatabase();
  const sql = new SQL({ url, max: 1 });
  try {
    await migratePostgres(sql, "probe", [
      {
        version: 1,
        sql: `CREATE TABLE rows_to_fill (n INT PRIMARY KEY, filled BOOLEAN NOT NULL DEFAULT false);
          INSERT INTO rows_to_fill (n) SELECT g FROM generate_series(1, 1000) AS g`,
      },
    ]);
  } finally {
    await sql.close();
  }
  return url;
}

test("a batch that fails of its own (its statement_timeout, on a row it cannot pass) is tried again at half the size, down to that one row, which the log names with what to do; the backfill goes on once the row passes", async () => {
  const url = await databaseOfRows();
  // The node's pool, with a statement_timeout a batch waiting for row 700 reaches.
  const sql = new SQL({ url, max: 2, connection: { statement_timeout: 300 } });
  const stopping = new AbortController();
  let held: { release(): Promise<void> } | undefined;
  try {
    held = await holdRow(url, 700);
    const { lines, log } = recordedLog();
    const state = await backfillState(sql, fillRows);
    const backfilling = runBackfill(sql, state, { log, stopping: stopping.signal });
    const named = await waitForValue(
      "the row the batches fail on, named",
      () => lines.find((line) => line.level === "error"),
      60_000,
      10,
    );
    expect(lines.find((line) => line.level === "warn")?.message).toBe(
      "backfill probe.filled@1: a batch of 500 rows failed; trying 250",
    );
    expect(named.message).toBe(
      "backfill probe.filled@1 fails on one row alone, and stops there: the node serves it as it does the rows not reached yet; raise storage.statement_timeout, or delete the row, and it goes on",
    );
    expect(named.fields.row).toBe("rows_to_fill WHERE n = 700");
    expect(String(named.fields.error)).toContain("statement timeout");
    // Every row before it filled; none after.
    expect(await sql`SELECT max(n)::int AS n FROM rows_to_fill WHERE filled`).toEqual([{ n: 699 }]);
    await held.release();
    await backfilling;
    expect(lines.at(-1)).toMatchObject({
      message: "backfill of the probe's rows done",
      fields: { rows: 1_000 },
    });
    expect(await sql`SELECT count(*)::int AS n FROM rows_to_fill WHERE filled`).toEqual([{ n: 1_000 }]);
  } finally {
    stopping.abort();
    await held?.release();
    await sql.close();
  }
}, 90_000);

test("a batch failing on one row alone while its position cannot be read either (the progress table locked past statement_timeout): the log names no row, the backfill tries again and ends, where the failed read rejected the backfill (an unhandled rejection ends the node)", async () => {
  const url = await databaseOfRows();
  const sql = new SQL({ url, max: 2, connection: { statement_timeout: 300 } });
  const observer = new SQL({ url, max: 1 });
  const stopping = new AbortController();
  let locking: Promise<{ release(): Promise<void> }> | undefined;
  let stuck = true;
  // Its batches fail of their own (division by zero) down to one row; that one first has the
  // progress table's lock asked for behind its own, so that reading the position once it has
  // rolled back waits for that lock past statement_timeout.
  const stuckBackfill: Backfill = {
    ...fillRows,
    async step(tx, after, rows) {
      if (!stuck) return fillRows.step(tx, after, rows);
      if (rows === 1) {
        locking ??= holdProgressTable(url);
        await waitForValue("the table's lock asked for", async () => {
          const [row] = await observer`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE backfill_progress%'`;
          return row?.n === 1;
        });
      }
      await tx`SELECT 1 / 0`;
      return null;
    },
  };
  try {
    const { lines, log } = recordedLog();
    const state = await backfillState(sql, stuckBackfill);
    const backfilling = runBackfill(sql, state, { log, stopping: stopping.signal });
    const named = await waitForValue("the one row's failure, told", () =>
      lines.find((line) => line.level === "error"),
    );
    expect(named.fields.row).toBeNull();
    expect(String(named.fields.error)).toContain("division by zero");
    stuck = false;
    await (await locking)?.release();
    await backfilling;
    expect(lines.at(-1)).toMatchObject({
      message: "backfill of the probe's rows done",
      fields: { rows: 1_000 },
    });
  } finally {
    stopping.abort();
    await (await locking)?.release();
    await observer.close();
    await sql.close();
  }
}, 60_000);

test("a stop that lands as a batch's connection arrives, before the batch listens for it, still closes that connection: the batch neither runs nor keeps it", async () => {
  const url = await databaseOfRows();
  const sql = new SQL({ url, max: 1 });
  const observer = new SQL({ url, max: 1 });
  const stopping = new AbortController();
  try {
    const { lines, log } = recordedLog();
    const state = await backfillState(sql, fillRows);
    // The node's pool, whose reserve() hands its connection over just after the stop: the window
    // between the two a real stop can land in, made certain.
    const stoppedAsItArrives = new Proxy(sql, {
      get(target, property, receiver) {
        if (property !== "reserve") return Reflect.get(target, property, receiver);
        return async (options?: { signal?: AbortSignal }) => {
          const connection = await target.reserve(options);
          stopping.abort();
          return connection;
        };
      },
    });
    await runBackfill(stoppedAsItArrives, state, { log, stopping: stopping.signal });
    expect(lines.at(-1)?.message).toBe(
      "backfill of the probe's rows stopped with the node; the next start resumes it",
    );
    expect(await observer`SELECT count(*)::int AS n FROM rows_to_fill WHERE filled`).toEqual([{ n: 0 }]);
    // The pool's one connection, the batch's, closed: no other session on the database.
    await waitForValue("the batch's connection closed", async () => {
      const [row] = await observer`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`;
      return row?.n === 0;
    });
  } finally {
    await observer.close();
    await sql.close();
  }
}, 30_000);
