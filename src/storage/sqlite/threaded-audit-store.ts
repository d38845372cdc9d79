import type { Database } from "bun:sqlite";
import type { AuditBatchResult } from "../storage.ts";
import type { AuditThreadReply, AuditThreadRequest } from "./audit-thread-protocol.ts";
import type { OpenDatabaseOptions } from "./open-database.ts";
import type { ShadowRow } from "./shadow-inserter.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "./sqlite-audit-store.ts";

/** An error from the audit thread, with SQLite's code kept (storage-failure.ts reads it). */
class AuditThreadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "AuditThreadError";
  }
}

type Request = AuditThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, "id">
    : never
  : never;

/**
 * Where the thread's entry is: beside this file when running from source (`bun`, tests,
 * embedders); inside a compiled `mindgw`, at its path under `src/`, which scripts/build.ts
 * bundles as a second entrypoint.
 */
function threadEntry(): string {
  if (import.meta.url.includes("/$bunfs/")) return "./storage/sqlite/audit-thread.ts";
  return new URL("./audit-thread.ts", import.meta.url).href;
}

/**
 * The SQLite audit store with its writes in a Worker thread: inserts, pruning, probes and WAL
 * checkpoints run there on a handle of its own, so a batch insert (several milliseconds at a
 * few thousand requests a second) never blocks the event loop that serves requests. Reads
 * (`select`: short keyset pages) stay on `reader`, the caller's handle on this thread. The
 * behaviour behind the interface is the same store's (storage-failure retry, reopening after a
 * failure, checkpoint and close on stop), only elsewhere.
 */
export function createThreadedAuditStore(options: {
  path: string;
  open?: OpenDatabaseOptions;
  reader: Database;
}): SqliteAuditStore & { insertShadow(rows: readonly ShadowRow[]): Promise<void> } {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let next = 0;
  let broken: Error | null = null;
  let worker: (Worker & { ref(): void; unref(): void }) | null = null;

  /**
   * The thread starts with the first write (insert or prune): a gateway that has served
   * nothing (or a CLI command that only reads) does not pay for a second JavaScript heap,
   * about 10 MB.
   */
  const thread = () => {
    if (worker !== null) return worker;
    // tsconfig's DOM lib types Worker without Bun's ref/unref.
    const started = new Worker(threadEntry()) as Worker & { ref(): void; unref(): void };
    started.onmessage = (event: MessageEvent<AuditThreadReply>) => {
      const reply = event.data;
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      settle();
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new AuditThreadError(reply.message, reply.code));
    };
    started.onerror = (event) => {
      broken = new AuditThreadError(`the audit thread failed: ${event.message}`);
      for (const waiter of pending.values()) waiter.reject(broken);
      pending.clear();
      settle();
    };
    started.postMessage({ id: 0, op: "open", path: options.path, options: options.open ?? {} });
    worker = started;
    return started;
  };
  // Held (ref'd) only while a request is pending: an idle audit thread must not keep a CLI
  // command alive, and a pending write must keep the process alive until it is done.
  const settle = () => {
    if (pending.size === 0) worker?.unref();
  };
  const call = (request: Request): Promise<unknown> => {
    if (broken) return Promise.reject(broken);
    const target = thread();
    const id = ++next;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      target.ref();
      target.postMessage({ ...request, id });
    });
  };
  // Reads, and the start-up probe: nothing else is written through the reader handle.
  const reads = createSqliteAuditStore({ database: options.reader, reader: options.reader });
  let closed: Promise<void> | null = null;

  return {
    insert: (records) =>
      call({ op: "insert", records: JSON.stringify(records) }) as Promise<AuditBatchResult>,
    insertShadow: async (rows) => {
      await call({ op: "shadow", rows });
    },
    select: (filter, after, limit) => reads.select(filter, after, limit),
    prune: (before, limit) => call({ op: "prune", before, limit }) as Promise<number>,
    probe: async () => {
      // The writer probes once at start; before the first write that is one rolled-back insert
      // on the caller's handle (same file), not a reason to start the thread.
      if (worker === null) await reads.probe();
      else await call({ op: "probe" });
    },
    maintain: async (idle) => {
      // Nothing written by this process yet: nothing of ours to checkpoint.
      if (worker !== null) await call({ op: "maintain", idle });
    },
    close() {
      const running = worker;
      if (running === null) return Promise.resolve();
      closed ??= call({ op: "close" })
        .catch(() => {})
        .then(() => {
          running.terminate();
        });
      return closed;
    },
  };
}
