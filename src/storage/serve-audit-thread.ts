import { messageOf } from "../core/describe-error.ts";
import type { AuditThreadReply, AuditThreadRequest } from "./audit-thread-protocol.ts";

declare const self: Worker;

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * The thread's side of audit-thread-protocol.ts: requests run one at a time, in the order they
 * were posted, each answered with its result or its error (message, the driver's `code`,
 * PostgreSQL's SQLSTATE `errno`). `code` may rename the code (SQLite's extended codes). An
 * `insert`'s batch goes back with its reply, done with (`AuditThreadReply`). `idle` runs, in turn,
 * once a reply leaves no request waiting (a turn of the thread's loop later, for one just posted to
 * arrive first): a request that comes meanwhile waits for it. Its failure is ignored: the next
 * request meets the storage's.
 */
export function serveAuditThread(
  run: (request: AuditThreadRequest) => Promise<unknown>,
  code: (error: unknown) => string | null = (error) =>
    typeof error === "object" && error !== null && "code" in error ? (text(error.code) ?? null) : null,
  idle?: () => unknown,
): void {
  let queue: Promise<void> = Promise.resolve();
  /** Requests posted and not answered yet. */
  let waiting = 0;
  const whenIdle = () => {
    if (waiting > 0 || idle === undefined) return;
    queue = queue.then(async () => {
      if (waiting > 0) return;
      try {
        await idle();
      } catch {
        // Upkeep that failed (a checkpoint): the next request meets the storage's failure, if any.
      }
    });
  };
  self.onmessage = (event: MessageEvent<AuditThreadRequest>) => {
    const request = event.data;
    waiting++;
    queue = queue.then(async () => {
      let reply: AuditThreadReply;
      try {
        reply = { id: request.id, ok: true, value: await run(request) };
      } catch (error) {
        const failure = code(error);
        const errno =
          typeof error === "object" && error !== null && "errno" in error ? text(error.errno) : undefined;
        const message = messageOf(error);
        reply = {
          id: request.id,
          ok: false,
          message,
          ...(failure ? { code: failure } : {}),
          ...(errno ? { errno } : {}),
        };
      }
      // Written, or refused (the writer keeps its rows to send again): back to be freed.
      if (request.op !== "insert") self.postMessage(reply);
      else self.postMessage({ ...reply, batch: request.records }, [request.records.buffer]);
      if (--waiting === 0 && idle !== undefined) setTimeout(whenIdle, 0);
    });
  };
}
