import { freeNow } from "../core/free-now.ts";
import { IdTable } from "../core/id-table.ts";
import type { AuditThreadReply, AuditThreadRequest } from "./audit-thread-protocol.ts";

/** An error from an audit thread, with the driver's code and SQLSTATE kept (the failure classifiers read them). */
export class AuditThreadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = "AuditThreadError";
  }
}

type WithoutId<R> = R extends { id: number } ? Omit<R, "id"> : never;
export type AuditThreadCall = WithoutId<AuditThreadRequest>;

/**
 * The gateway's side of an audit thread (SQLite's or PostgreSQL's): requests posted in order,
 * each settled by its reply. The Worker starts with the first call: a gateway that has served
 * nothing (or a CLI command that only reads) does not pay for a second JavaScript heap, about
 * 10 MB. `open` is the first request the thread gets; `name`, the thread's (`top -H`, `ps -L`).
 */
export function auditThreadClient(entry: () => string, open: AuditThreadCall, name = "mindgw-audit") {
  // By id in an IdTable, not a Map: every call's id leaves again, and a long-lived Map that
  // entries leave keeps each alive through young collections until a full one (core/id-table.ts).
  const pending = new IdTable<{ resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let next = 0;
  let broken: Error | null = null;
  let worker: (Worker & { ref(): void; unref(): void }) | null = null;
  let closed: Promise<void> | null = null;

  // Held (ref'd) only while a request is pending: an idle audit thread must not keep a CLI
  // command alive, and a pending write must keep the process alive until it is done.
  const settle = () => {
    if (pending.size === 0) worker?.unref();
  };
  const thread = () => {
    if (worker !== null) return worker;
    // tsconfig's DOM lib types Worker without Bun's ref/unref.
    const started = new Worker(entry(), { name }) as Worker & { ref(): void; unref(): void };
    started.onmessage = (event: MessageEvent<AuditThreadReply>) => {
      const reply = event.data;
      if (reply.batch !== undefined) freeNow(reply.batch.buffer);
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      settle();
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new AuditThreadError(reply.message, reply.code, reply.errno));
    };
    started.onerror = (event) => {
      broken = new AuditThreadError(`the audit thread failed: ${event.message}`);
      const failing = pending.values();
      pending.clear();
      for (const waiter of failing) waiter.reject(broken);
      settle();
    };
    started.postMessage({ ...open, id: 0 });
    worker = started;
    return started;
  };
  /** `transfer`: buffers of the request that move to the thread (no copy; detached here). */
  const call = (request: AuditThreadCall, transfer?: Transferable[]): Promise<unknown> => {
    if (broken) return Promise.reject(broken);
    const target = thread();
    const id = ++next;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      target.ref();
      target.postMessage({ ...request, id }, transfer ?? []);
    });
  };
  return {
    call,
    /** True once the thread has started (something was written through it). */
    started: () => worker !== null,
    /** Asks the thread to close its database, then ends it; nothing to do if it never started. */
    close(): Promise<void> {
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
