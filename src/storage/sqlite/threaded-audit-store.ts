import type { Database } from "bun:sqlite";
import { encodeAuditBatch } from "../../audit/audit-row-bytes.ts";
import { threadEntry } from "../../core/thread-entry.ts";
import type { ShadowRecord } from "../../shadow/shadow-api-schema.ts";
import { auditThreadClient } from "../audit-thread-client.ts";
import { LineClaims } from "../line-claims.ts";
import type { AuditBatchResult, TenantUsage } from "../storage.ts";
import type { OpenDatabaseOptions } from "./open-database.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "./sqlite-audit-store.ts";

/**
 * The SQLite audit store with its writes in a Worker thread: inserts, pruning, probes and WAL
 * checkpoints run there on a handle of its own, so a batch insert (several milliseconds at a
 * few thousand requests a second) never blocks the event loop that serves requests. Short reads
 * (`select`: keyset pages) stay on `reader`, the caller's handle on this thread; a tenant's usage,
 * which reads a period's every row, runs in a thread of its own beside it (usage-thread.ts). The
 * behaviour behind the interface is the same store's (storage-failure retry, reopening after a
 * failure, checkpoint and close on stop), only elsewhere.
 */
export function createThreadedAuditStore(options: {
  path: string;
  open?: OpenDatabaseOptions;
  reader: Database;
}): SqliteAuditStore & {
  insertEncoded(batch: Uint8Array<ArrayBuffer>, lines?: number): Promise<AuditBatchResult>;
  threadLines: LineClaims;
  /** `KeyStore.touch` and `SpendStore.add` in the thread (sqlite-storage.ts hands them to those stores). */
  touchKeys(lastUsed: ReadonlyMap<string, number>): Promise<void>;
  addSpend(deltas: ReadonlyMap<string, number>): Promise<void>;
  insertShadow: {
    records(records: readonly ShadowRecord[]): Promise<void>;
    json(json: string): Promise<void>;
  };
} {
  const claims = new LineClaims();
  const thread = auditThreadClient(
    () =>
      threadEntry(
        import.meta.url,
        new URL("./audit-thread.ts", import.meta.url),
        "./storage/sqlite/audit-thread.ts",
      ),
    { op: "open", path: options.path, options: options.open ?? {}, lines: claims.cell },
  );
  const { started, close } = thread;
  const call: typeof thread.call = (request, transfer) => {
    // From the thread's start on, it checkpoints the WAL (thread-checkpoints.ts): a commit of the
    // reader's handle (a stored response, a key) no longer copies the thread's frames into the file
    // on the event loop. Not before: a process that never starts it (nothing audited) checkpoints
    // as SQLite does, where its WAL grew without bound.
    if (!started()) options.reader.run("PRAGMA wal_autocheckpoint = 0");
    return thread.call(request, transfer);
  };
  // `lines`: the batch's claim on the access lines its rows carry (line-claims.ts).
  const insertBatch = (batch: Uint8Array<ArrayBuffer>, lines?: number) =>
    call({ op: "insert", records: batch, ...(lines === undefined ? {} : { claim: lines }) }, [batch.buffer]);
  const usage = auditThreadClient(
    () =>
      threadEntry(
        import.meta.url,
        new URL("./usage-thread.ts", import.meta.url),
        "./storage/sqlite/usage-thread.ts",
      ),
    { op: "open", path: options.path, options: options.open ?? {}, lines: claims.cell },
    "mindgw-usage",
  );
  // Reads, and the start-up probe: nothing else is written through the reader handle.
  const reads = createSqliteAuditStore({ database: options.reader, reader: options.reader });

  return {
    // The audit writer hands over bytes (insertEncoded), each record encoded when it was queued;
    // records as objects (an embedder's direct call) are encoded here in one go.
    insert: async (records) => (await insertBatch(encodeAuditBatch(records))) as AuditBatchResult,
    insertEncoded: async (batch, lines) => (await insertBatch(batch, lines)) as AuditBatchResult,
    // The thread writes the access lines the writer's rows carry (line-claims.ts).
    threadLines: claims,
    // As JSON text (as audit records crossed before they went as bytes): one string crosses
    // instead of a structured clone of arrays (about 1.5 against 4.5 µs a pair, both threads
    // together); the thread makes the rows.
    insertShadow: {
      records: async (records) => {
        await call({ op: "shadow", records: JSON.stringify(records) });
      },
      // The shadow thread's batches are this text already (shadow-thread.ts).
      json: async (json) => {
        await call({ op: "shadow", records: json });
      },
    },
    touchKeys: async (lastUsed) => {
      await call({ op: "touch-keys", lastUsed });
    },
    addSpend: async (deltas) => {
      await call({ op: "add-spend", deltas });
    },
    select: (filter, after, limit) => reads.select(filter, after, limit),
    // A period's every row, not a short page: read on a thread of its own (usage-thread.ts), so
    // neither the event loop nor the audit thread's writes wait for it.
    tenantUsage: (tenants, from, to) =>
      usage.call({ op: "tenant-usage", tenants, from, to }) as Promise<Map<string, TenantUsage>>,
    prune: (before, limit) => call({ op: "prune", before, limit }) as Promise<number>,
    alreadyStored: (rows) => reads.alreadyStored(rows),
    sweep: (limit) => call({ op: "sweep", limit }) as Promise<number>,
    probe: async () => {
      // The writer probes once at start; before the first write that is one rolled-back insert
      // on the caller's handle (same file), not a reason to start the thread.
      if (!started()) await reads.probe();
      else await call({ op: "probe" });
    },
    maintain: async (idle) => {
      // Nothing written by this process yet: nothing of ours to checkpoint.
      if (started()) await call({ op: "maintain", idle });
    },
    close: async () => {
      // The probe's statements on the reader are finalized, or closing the reader's handle leaves
      // the file, its WAL and its shared memory open for the process's life.
      reads.close();
      await Promise.all([close(), usage.close()]);
    },
  };
}
