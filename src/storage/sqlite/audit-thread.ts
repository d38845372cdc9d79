/**
 * The audit thread: a Worker with its own SQLite handles that does every audit write (batched
 * inserts, retention deletes, WAL checkpoints), shadow pairs, and the key last-used and spend
 * writes of serving, so that no write holds the gateway's event loop (nor its wait for the lock).
 * Requests run one at a time, in the order they were posted (serve-audit-thread.ts): a tenant's
 * usage, which reads a whole period, is read beside it (usage-thread.ts), not here.
 */

import type { RowLine } from "../../audit/audit-row-layout.ts";
import { parseAuditBatch } from "../../audit/audit-row-reader.ts";
import type { ShadowRecord } from "../../shadow/shadow-api-schema.ts";
import type { AuditThreadRequest } from "../audit-thread-protocol.ts";
import { writeClaimedLines } from "../line-claims.ts";
import { serveAuditThread } from "../serve-audit-thread.ts";
import type { OpenDatabaseOptions } from "./open-database.ts";
import { shadowInserter, shadowRow } from "./shadow-inserter.ts";
import { sideHandle } from "./side-handle.ts";
import { createSqliteAuditStore, type RowsAuditStore } from "./sqlite-audit-store.ts";
import { createSqliteKeyStore } from "./sqlite-key-store.ts";
import { createSqliteSpendStore } from "./sqlite-spend-store.ts";
import { sqliteCode } from "./storage-failure.ts";
import { IdleCheckpoints, openThreadDatabase } from "./thread-checkpoints.ts";

let store: RowsAuditStore | null = null;
let opening: { path: string; options: OpenDatabaseOptions } | null = null;
let lineCell: Int32Array | undefined;
const openSide = () => {
  if (opening === null) throw new Error("the audit thread was not opened");
  return openThreadDatabase(opening.path, opening.options);
};
const shadow = sideHandle(openSide, shadowInserter);
// Key last-used times and spend: the event loop's handle would wait for the write lock while
// this thread inserts a batch (SQLite's busy handler sleeps 1, 2, 5, 10… ms), up to tens of ms
// on a loaded machine (docs/BENCHMARKS-HISTORY.md, "Session 8: c=1").
const ledger = sideHandle(openSide, (db) => ({
  keys: createSqliteKeyStore(db),
  spend: createSqliteSpendStore(db),
}));

// The WAL is checkpointed between batches, once the thread has nothing waiting, not inside a
// commit: bodies written back to back are not each copied into the file as they are committed.
const checkpoints = new IdleCheckpoints(() => store?.maintain?.(false));

/** About what a key's row (its last use, its spend) takes in a commit: its index's too. */
const LEDGER_ROW_BYTES = 256;

function opened(): RowsAuditStore {
  if (store === null) throw new Error("the audit thread was not opened");
  return store;
}

async function run(request: AuditThreadRequest): Promise<unknown> {
  switch (request.op) {
    case "open": {
      const { path, options } = request;
      opening = { path, options };
      lineCell = request.lines;
      // A factory, so that the store reopens the file after a storage failure.
      store = createSqliteAuditStore({ database: () => openThreadDatabase(path, options), path });
      return undefined;
    }
    case "insert": {
      const lines: RowLine[] = [];
      const rows = parseAuditBatch(request.records, lines);
      writeClaimedLines(rows, lines, lineCell, request.claim);
      const written = await opened().insertRows(rows);
      checkpoints.committed(request.records.byteLength);
      return written;
    }
    // The side handles' commits add to the WAL too: counted as their text (shadow pairs) or their
    // rows (a key's last use, a key's spend), or a gateway that audits little grew it unchecked.
    case "shadow": {
      await shadow.write((insert) => insert((JSON.parse(request.records) as ShadowRecord[]).map(shadowRow)));
      checkpoints.committed(request.records.length);
      return undefined;
    }
    case "touch-keys": {
      await ledger.write(({ keys }) => keys.touch(request.lastUsed));
      checkpoints.committed(request.lastUsed.size * LEDGER_ROW_BYTES);
      return undefined;
    }
    case "add-spend": {
      await ledger.write(({ spend }) => spend.add(request.deltas));
      checkpoints.committed(request.deltas.size * LEDGER_ROW_BYTES);
      return undefined;
    }
    case "tenant-usage":
      throw new Error("tenants' usage is read on the usage thread");
    case "prune":
      return opened().prune(request.before, request.limit);
    case "sweep":
      return opened().sweep(request.limit);
    case "probe":
      return opened().probe();
    case "maintain":
      // The store's periodic checkpoint: what was counted toward the idle one is in the file now.
      checkpoints.checkpointed();
      return opened().maintain?.(request.idle);
    case "open-postgres":
      throw new Error("this is the SQLite audit thread");
    case "close":
      shadow.close();
      ledger.close();
      await store?.close();
      store = null;
      return undefined;
  }
}

serveAuditThread(run, sqliteCode, () => checkpoints.idle());
