/**
 * The audit thread: a Worker with its own SQLite handle that does every audit write (batched
 * inserts, retention deletes, WAL checkpoints), so that a flush never holds the gateway's event
 * loop. Requests run one at a time, in the order they were posted.
 */
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { AuditThreadReply, AuditThreadRequest } from "./audit-thread-protocol.ts";
import { openDatabase } from "./open-database.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "./sqlite-audit-store.ts";
import { sqliteCode } from "./storage-failure.ts";

declare const self: Worker;

let store: SqliteAuditStore | null = null;
let queue: Promise<void> = Promise.resolve();

function opened(): SqliteAuditStore {
  if (store === null) throw new Error("the audit thread was not opened");
  return store;
}

async function run(request: AuditThreadRequest): Promise<unknown> {
  switch (request.op) {
    case "open": {
      const { path, options } = request;
      // A factory, so that the store reopens the file after a storage failure.
      store = createSqliteAuditStore({ database: () => openDatabase(path, options) });
      return undefined;
    }
    case "insert":
      return opened().insert(JSON.parse(request.records) as AuditRecord[]);
    case "prune":
      return opened().prune(request.before, request.limit);
    case "probe":
      return opened().probe();
    case "maintain":
      return opened().maintain?.(request.idle);
    case "close":
      await store?.close();
      store = null;
      return undefined;
  }
}

self.onmessage = (event: MessageEvent<AuditThreadRequest>) => {
  const request = event.data;
  queue = queue.then(async () => {
    let reply: AuditThreadReply;
    try {
      reply = { id: request.id, ok: true, value: await run(request) };
    } catch (error) {
      const code = sqliteCode(error);
      const message = error instanceof Error ? error.message : String(error);
      reply = { id: request.id, ok: false, message, ...(code ? { code } : {}) };
    }
    self.postMessage(reply);
  });
};
