/**
 * Rows a second the SQLite audit thread writes when each row carries a large body (docs/RELIABILITY.md,
 * "Bounded growth": its WAL checkpoints): `--rows` rows with a request body of `--mb` MB (an image as
 * base64 text), each a batch of its own as sequential requests make them, handed to the threaded
 * store (`createThreadedAuditStore(...).insertEncoded`: the post, the thread's decode, insert and
 * commit). `--burst` hands them all at once, a backlog the thread works through; without it each
 * is answered before the next is sent. Printed a round: rows a second until the last answer, the
 * WAL file's largest size seen at an answer, and how long after the last answer the database file
 * went on growing (the checkpoints the thread ran once idle; it is still for 250 ms after), to what
 * share of the rows' bodies (the rest waits in the WAL for a later checkpoint). Batches are encoded before
 * the clock starts, and the thread is started (and the schema made) by a row of its own.
 * `--against DIR` alternates rounds with another checkout's `src/` (say, /tmp/base) in the same
 * process, so that the machine's load hits both alike. Each round writes a fresh database file.
 *   bun bench/audit-checkpoints.ts [--rows 40] [--mb 4] [--burst] [--rounds 3] [--against DIR]
 */
import type { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AuditRecord } from "../src/audit/audit-record.ts";
import type { AuditBatchResult } from "../src/storage/storage.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "40" },
    mb: { type: "string", default: "4" },
    burst: { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    against: { type: "string" },
  },
});
const rows = Number(values.rows);
const bodyBytes = Number(values.mb) * 1e6;

interface Checkout {
  name: string;
  encodeAuditBatch: (records: readonly AuditRecord[]) => Uint8Array<ArrayBuffer>;
  makeRecord: (overrides?: Partial<AuditRecord>) => AuditRecord;
  openDatabase: (path: string) => Database;
  closeDatabase: (db: Database) => void;
  createThreadedAuditStore: (options: { path: string; reader: Database }) => {
    insertEncoded(batch: Uint8Array<ArrayBuffer>): Promise<AuditBatchResult>;
    close(): Promise<void>;
  };
}

async function checkout(root: string, name: string): Promise<Checkout> {
  const src = resolve(root, "src");
  const bytes = await import(join(src, "audit/audit-row-bytes.ts"));
  const fixture = await import(join(src, "audit/audit-fixture.ts"));
  const open = await import(join(src, "storage/sqlite/open-database.ts"));
  const threaded = await import(join(src, "storage/sqlite/threaded-audit-store.ts"));
  return {
    name,
    encodeAuditBatch: bytes.encodeAuditBatch,
    makeRecord: fixture.makeRecord,
    openDatabase: open.openDatabase,
    closeDatabase: open.closeDatabase,
    createThreadedAuditStore: threaded.createThreadedAuditStore,
  };
}

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

interface Round {
  rowsPerSecond: number;
  walMiB: number;
  /** From the last answer until the database file last grew. */
  settledMs: number;
  /** What the database file grew by, as a share of the bodies written. */
  inFile: number;
}

/** Until the file has not grown for `stillMs`: when it last did, after `from`. */
async function lastGrowth(path: string, from: number, stillMs = 250): Promise<number> {
  let size = sizeOf(path);
  let grew = from;
  while (performance.now() - grew < stillMs) {
    await Bun.sleep(5);
    const now = sizeOf(path);
    if (now !== size) {
      size = now;
      grew = performance.now();
    }
  }
  return grew - from;
}

async function round(side: Checkout): Promise<Round> {
  const dir = await mkdtemp(join(tmpdir(), "mindgw-audit-checkpoints-"));
  const path = join(dir, "audit.db");
  const reader = side.openDatabase(path);
  const store = side.createThreadedAuditStore({ path, reader });
  try {
    await store.insertEncoded(side.encodeAuditBatch([side.makeRecord()]));
    const before = sizeOf(path);
    const batches = Array.from({ length: rows }, (_, i) =>
      side.encodeAuditBatch([
        side.makeRecord({
          requestId: `r${i}`,
          requestBody: Buffer.alloc((bodyBytes * 3) / 4, i % 251).toString("base64"),
          responseBody: '{"ok":true}',
        }),
      ]),
    );
    let wal = 0;
    const answered = () => {
      wal = Math.max(wal, sizeOf(`${path}-wal`));
    };
    const started = performance.now();
    if (values.burst) await Promise.all(batches.map((batch) => store.insertEncoded(batch).then(answered)));
    else
      for (const batch of batches) {
        await store.insertEncoded(batch);
        answered();
      }
    const ended = performance.now();
    const settledMs = await lastGrowth(path, ended);
    return {
      rowsPerSecond: rows / ((ended - started) / 1000),
      walMiB: wal / 2 ** 20,
      settledMs,
      inFile: (sizeOf(path) - before) / (rows * bodyBytes),
    };
  } finally {
    await store.close();
    side.closeDatabase(reader);
    await rm(dir, { recursive: true, force: true });
  }
}

const sides = [await checkout(join(import.meta.dir, ".."), "this")];
if (values.against) sides.push(await checkout(values.against, values.against));
const results = new Map<string, Round[]>(sides.map((side) => [side.name, []]));
const shape = `${rows} rows of ${values.mb} MB, ${values.burst ? "all at once" : "one after another"}`;
for (let i = 0; i < Number(values.rounds); i++)
  for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
    const result = await round(side);
    results.get(side.name)?.push(result);
    console.log(
      `${side.name}: ${result.rowsPerSecond.toFixed(1)} rows/s, WAL at most ${result.walMiB.toFixed(0)} MiB, the file growing ${result.settledMs.toFixed(0)} ms after the last answer, to ${(result.inFile * 100).toFixed(0)} % of the bodies`,
    );
  }
for (const [name, list] of results)
  console.log(
    `${shape}: ${name} median ${median(list.map((r) => r.rowsPerSecond)).toFixed(1)} rows/s, WAL ${median(list.map((r) => r.walMiB)).toFixed(0)} MiB, settled ${median(list.map((r) => r.settledMs)).toFixed(0)} ms`,
  );
