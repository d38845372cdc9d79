/**
 * What the SQLite audit thread spends a row, on the real path: records as the gateway makes them
 * queued in the audit writer's buffer (`EncodedRows`), handed over in batches of `--batch` rows
 * to the threaded store (`createThreadedAuditStore(...).insertEncoded`: the post, the thread's
 * decode, its inserts and commit), one batch in flight as the writer keeps it. The figure is the
 * audit `Worker` thread's own CPU (its schedstat run time, in ns) over the rows written, so the
 * event loop's encoding and the load generator are not in it. Beside it, two counts that load does
 * not move: the bytes the thread wrote a row (its `/proc` io `wchar`: WAL frames, ~4 KB a page a
 * commit dirtied, and checkpoints into the file) and the database file's size a row once the store
 * has closed (checkpointed): the bytes every row costs the disk.
 *   bun bench/audit-thread-micro.ts [--rounds 6] [--rows 50000] [--batch 500] [--against OTHER_CHECKOUT]
 *     [--drop INDEX,INDEX] [--lines text|json] 2>/dev/null
 * `--drop` removes those indexes of this checkout's database before its store opens: each index's
 * share of a row, against the same code with `--against` (what an index costs, before removing it).
 * `--against DIR` alternates rounds with another checkout's `src/` (say, /tmp/base-s15) in the
 * same process, so the machine's load hits both alike: the way to judge a change of a few per
 * cent on a shared machine. Each round writes a fresh database file.
 * `--lines FORMAT`: each served row carries its access line (audit-row-layout.ts `ROW_LINE`), which
 * the thread formats and writes to stderr before the insert (send stderr to /dev/null); a checkout
 * before session 17 ignores the byte, so against it the difference is the line's cost on the thread
 * (its bytes then count in the thread's `wchar`).
 */
import { Database } from "bun:sqlite";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AuditRecord } from "../src/audit/audit-record.ts";
import type { AuditBatchResult } from "../src/storage/storage.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    rows: { type: "string", default: "50000" },
    batch: { type: "string", default: "500" },
    against: { type: "string" },
    drop: { type: "string" },
    lines: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const rowCount = Number(values.rows);
const batchSize = Number(values.batch);
/** The line byte of a served row (`ROW_LINE.TEXT` or `JSON`), or none. */
const lineByte = values.lines === "json" ? 2 : values.lines === "text" ? 1 : 0;

interface Checkout {
  name: string;
  EncodedRows: new (
    insert: (batch: Uint8Array) => Promise<AuditBatchResult>,
    batchSize: number,
  ) => {
    push(record: AuditRecord, line?: number): void;
    write(max: number): Promise<AuditBatchResult>;
    readonly waiting: number;
  };
  prepareAuditDatabase: (db: Database) => void;
  createThreadedAuditStore: (options: { path: string; reader: Database }) => {
    insertEncoded(batch: Uint8Array, lines?: number): Promise<AuditBatchResult>;
    /** Session 17 on: the claim on a batch's lines, which the writer hands over with it. */
    threadLines?: { open(): number };
    close(): void | Promise<void>;
  };
}

async function load(name: string, root: string): Promise<Checkout> {
  const rows = await import(join(root, "src/audit/encoded-rows.ts"));
  const store = await import(join(root, "src/storage/sqlite/threaded-audit-store.ts"));
  const migrations = await import(join(root, "src/storage/sqlite/audit-migrations.ts"));
  return {
    name,
    EncodedRows: rows.EncodedRows,
    prepareAuditDatabase: migrations.prepareAuditDatabase,
    createThreadedAuditStore: store.createThreadedAuditStore,
  };
}

/** A request's row as the gateway writes it under the benchmarks: one key, one model, one attempt. */
function record(i: number, at: number): AuditRecord {
  return {
    requestId: `req_0193${(at * 4096 + i).toString(16).padStart(28, "0")}`,
    startedAt: at + (i >> 4),
    keyId: "key_0193a1b2c3d4",
    keyName: "bench",
    tenant: null,
    role: "user",
    frontDoor: "chat",
    model: "gpt-4o-mini",
    route: "provider:burst",
    upstreamModel: "gpt-4o-mini",
    status: i % 50 === 0 ? 429 : 200,
    errorClass: i % 50 === 0 ? "rate_limited" : null,
    stream: false,
    latencyMs: 0.8 + (i % 7) * 0.013,
    ttfbMs: 0.7 + (i % 5) * 0.011,
    inputTokens: 12,
    outputTokens: 34 + (i % 3),
    costUsd: 0.0000123,
    clientIp: "127.0.0.1",
    userAgent: null,
    errorMessage: null,
    dropped: null,
    attempts: [
      {
        route: "provider:burst",
        upstreamModel: "gpt-4o-mini",
        outcome: "ok",
        status: null,
        errorClass: null,
        durationMs: 0.61,
      },
    ],
    node: null,
    servedNode: null,
  };
}

/** The batches a writer hands over for `rowCount` records (made before timing, by that checkout's queue). */
async function batches(checkout: Checkout): Promise<Uint8Array[]> {
  const made: Uint8Array[] = [];
  // The batch size as the writer passes it (a checkout before session 16 takes none).
  const queue = new checkout.EncodedRows(async (batch) => {
    made.push(batch);
    return { written: 0, rejected: 0 };
  }, batchSize);
  const at = Date.now();
  for (let i = 0; i < rowCount; i++) {
    const row = record(i, at);
    queue.push(row, row.status < 400 ? lineByte : 0);
    if (queue.waiting >= batchSize) await queue.write(batchSize);
  }
  while (queue.waiting > 0) await queue.write(queue.waiting);
  return made;
}

/** Run time (ns) of each audit thread of this process (named `mindgw-audit`; `Worker` before), by thread id. */
function workerNs(): Map<string, number> {
  const found = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      if (name !== "mindgw-audit" && name !== "Worker") continue;
      found.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return found;
}

/** The bytes a thread has written through system calls (`wchar` of its `/proc` io). */
function threadWrote(tid: string): number {
  const io = readFileSync(`/proc/self/task/${tid}/io`, "utf8");
  return Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? Number.NaN);
}

/** The thread's CPU and bytes written a row, and the database file's bytes a row once closed. */
async function round(
  checkout: Checkout,
  drop: string[],
): Promise<{ us: number; wrote: number; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), "audit-thread-micro-"));
  const path = join(dir, "audit.db");
  const reader = new Database(path, { create: true });
  if (drop.length > 0) {
    checkout.prepareAuditDatabase(reader);
    for (const index of drop) reader.run(`DROP INDEX ${index}`);
  }
  const store = checkout.createThreadedAuditStore({ path, reader });
  const work = await batches(checkout);
  const before = workerNs();
  // The first batch starts the thread (its start-up is not the per-row cost): written untimed.
  const first = work.shift();
  // With `--lines`, each batch goes with its claim as the audit writer hands it over.
  const claim = () => (lineByte !== 0 ? store.threadLines?.open() : undefined);
  if (first) await store.insertEncoded(first, claim());
  const thread = [...workerNs().keys()].find((tid) => !before.has(tid));
  if (thread === undefined) throw new Error("no audit Worker thread appeared");
  const start = workerNs().get(thread) ?? 0;
  const wroteBefore = threadWrote(thread);
  let written = 0;
  for (const batch of work) written += (await store.insertEncoded(batch, claim())).written;
  const spent = (workerNs().get(thread) ?? 0) - start;
  const wrote = threadWrote(thread) - wroteBefore;
  await store.close();
  reader.close();
  const bytes = statSync(path).size / rowCount;
  await rm(dir, { recursive: true, force: true });
  if (written !== rowCount - batchSize) throw new Error(`${checkout.name}: ${written} rows written`);
  return { us: spent / 1000 / written, wrote: wrote / written, bytes };
}

const dropped = values.drop ? values.drop.split(",") : [];
const thisName = dropped.length > 0 ? `this without ${dropped.join(", ")}` : "this";
const checkouts = [await load(thisName, resolve(import.meta.dir, ".."))];
if (values.against) checkouts.unshift(await load(`against ${values.against}`, resolve(values.against)));
const results = new Map<string, number[]>(checkouts.map((c) => [c.name, []]));
const sizes = new Map<string, { wrote: number; bytes: number }>();
for (let r = 0; r < rounds; r++) {
  for (const checkout of r % 2 === 0 ? checkouts : [...checkouts].reverse()) {
    const { us, wrote, bytes } = await round(checkout, checkout.name === thisName ? dropped : []);
    results.get(checkout.name)?.push(us);
    sizes.set(checkout.name, { wrote, bytes });
    console.log(
      `round ${r + 1} ${checkout.name}: ${us.toFixed(2)} µs a row (audit Worker thread), ${wrote.toFixed(0)} bytes written a row, ${bytes.toFixed(0)} bytes a row on disk`,
    );
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
for (const [name, xs] of results) {
  console.log(
    `${name}: median ${median(xs).toFixed(2)} µs a row (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}), ${rounds} rounds of ${rowCount} rows in batches of ${batchSize}; the thread wrote ${sizes.get(name)?.wrote.toFixed(0)} bytes a row; ${sizes.get(name)?.bytes.toFixed(0)} bytes a row in the file`,
  );
}
