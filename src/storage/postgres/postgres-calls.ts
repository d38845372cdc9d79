import type { ReservedSQL, SQL, TransactionSQL } from "bun";
import { isPostgresUnavailable, storageUnavailable } from "./postgres-failure.ts";

/**
 * Past the bound, how long a cancelled statement may take to say whether it ran: the cancel is
 * one round trip on a connection of its own, so a live server answers well within this.
 */
const CANCEL_GRACE_MS = 500;

/**
 * How every store call reaches PostgreSQL: on a connection of its own from the pool, within one
 * bound counted from the call, the wait for that connection included. A call still waiting for a
 * connection at the bound stops waiting (nothing was sent); one whose statement still runs has it
 * cancelled by the server (nothing of it applies, a transaction is rolled back), or learns within
 * `CANCEL_GRACE_MS` that it ran after all. Either way the caller is told what happened: the
 * result, or `storageUnavailable` (503) for a call that did not happen. Only a cancel the server
 * never answers (it stopped answering altogether) leaves a write that may yet apply; then the
 * connection is closed rather than given back.
 */
export interface PostgresCalls {
  /** One statement (`db` is the call's connection: build the query and its helpers with it). */
  statement<T>(make: (db: SQL) => SQL.Query<T>): Promise<T>;
  /** Several statements in one transaction, committed when `work` resolves. */
  transaction<T>(work: (tx: TransactionSQL) => Promise<T>): Promise<T>;
}

/**
 * The bound of one store call: `storage.statement_timeout` (the longest the operator lets the
 * database take), and, on a node that answers HTTP, a second less than `server.idle_timeout`, after
 * which Bun resets a socket that got no answer: a client told 503 in time can retry, one whose
 * socket was reset cannot tell what happened. 0 (or nothing) for either means no bound from it.
 */
export function storeCallBoundMs(statementTimeoutMs: number, idleTimeoutMs?: number): number | undefined {
  const answerWithin = idleTimeoutMs ? Math.max(idleTimeoutMs - 1000, idleTimeoutMs / 2) : 0;
  const bounds = [statementTimeoutMs, answerWithin].filter((ms) => ms > 0);
  return bounds.length > 0 ? Math.min(...bounds) : undefined;
}

/**
 * The statement was stopped by its cancel: the server's own error (57014), or Bun's when the
 * statement had not (wholly) reached the server: then nothing of it ran, unless Bun adds a `hint`
 * saying the server may still run it (docs: Bun SQL, "Execute and Cancelling Queries").
 */
const isCancelled = (error: unknown) =>
  field(error, "errno") === "57014" || field(error, "code") === "ERR_POSTGRES_QUERY_CANCELLED";
const mayStillRun = (error: unknown) =>
  field(error, "code") === "ERR_POSTGRES_QUERY_CANCELLED" && field(error, "hint") !== undefined;

function field(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null && name in error
    ? (error as Record<string, unknown>)[name]
    : undefined;
}

/** Thrown by `untilDeadline` when a cancelled call did not say how it ended within the grace. */
class NoAnswer extends Error {}

export function postgresCalls(sql: SQL, boundMs: number | undefined): PostgresCalls {
  const timedOut = (cause?: unknown) =>
    storageUnavailable(
      new Error(`no answer from PostgreSQL within ${boundMs} ms (the storage call bound)`, { cause }),
    );

  const call = async <T>(run: (db: ReservedSQL, deadline: AbortSignal | undefined) => Promise<T>) => {
    const deadline = boundMs === undefined ? undefined : AbortSignal.timeout(boundMs);
    let db: ReservedSQL;
    try {
      db = await sql.reserve(deadline ? { signal: deadline } : {});
    } catch (error) {
      // Said so in the log line: the pool, not the database, is what stayed busy.
      if (deadline?.aborted) throw timedOut(new Error("every storage.pool connection stayed in use"));
      throw isPostgresUnavailable(error) ? storageUnavailable(error) : error;
    }
    let answered = true;
    try {
      return await run(db, deadline);
    } catch (error) {
      if (error instanceof NoAnswer) {
        answered = false;
        throw timedOut();
      }
      if (deadline?.aborted && isCancelled(error)) {
        // Bun could not tell whether the server had begun it: the connection may still run it.
        answered = !mayStillRun(error);
        throw timedOut(error);
      }
      throw isPostgresUnavailable(error) ? storageUnavailable(error) : error;
    } finally {
      // A connection whose statement may still run is no one else's to use.
      if (answered) db.release();
      else void db.close().catch(() => {});
    }
  };

  return {
    statement: (make) =>
      call((db, deadline) => {
        const query = make(db);
        return untilDeadline(query.then(), deadline, () => query.cancel());
      }),
    transaction: <T>(work: (tx: TransactionSQL) => Promise<T>) =>
      call((db, deadline) => {
        let open: TransactionSQL | undefined;
        const done = db.begin((tx) => {
          open = tx;
          return work(tx);
        }) as Promise<T>;
        // Closing the transaction cancels its running statement and rolls it back; before it
        // began, closing the connection ends it with nothing sent but BEGIN.
        return untilDeadline(done, deadline, () => void (open ?? db).close().catch(() => {}));
      }),
  };
}

/**
 * `work`'s outcome; at `deadline`, `stop` is called and `work` has `CANCEL_GRACE_MS` more to
 * settle (its result if it ran after all, the server's cancel error if not), else `NoAnswer`.
 */
function untilDeadline<T>(
  work: Promise<T>,
  deadline: AbortSignal | undefined,
  stop: () => unknown,
): Promise<T> {
  if (deadline === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let grace: Timer | undefined;
    const expired = () => {
      stop();
      grace = setTimeout(() => reject(new NoAnswer()), CANCEL_GRACE_MS);
    };
    if (deadline.aborted) expired();
    else deadline.addEventListener("abort", expired, { once: true });
    work.then(resolve, reject).finally(() => {
      deadline.removeEventListener("abort", expired);
      clearTimeout(grace);
    });
  });
}
