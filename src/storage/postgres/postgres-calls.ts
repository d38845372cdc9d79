import type { ReservedSQL, SQL, TransactionSQL } from "bun";
import { GatewayError } from "../../core/gateway-error.ts";
import { CallDeadline, NoAnswer } from "./postgres-call-deadline.ts";
import { isPostgresUnavailable, storageOutcomeUnknown, storageUnavailable } from "./postgres-failure.ts";
import { textSafe } from "./postgres-text.ts";

/**
 * How every store call reaches PostgreSQL, within one bound counted from the call, the wait for a
 * connection included. Past it the caller is told what happened: the result; `storageUnavailable`
 * (503) for a call that did not happen (never sent, or cancelled by the server, a transaction
 * rolled back); or `storageOutcomeUnknown` (504) for a write that was sent and never answered,
 * which may have applied. A transaction whose COMMIT is under way at the bound is not cut (a
 * cancel cannot stop a COMMIT): it waits for COMMIT's answer, which only the connection's death
 * can keep from coming. Every text is sent as PostgreSQL can hold it (postgres-text.ts).
 */
export interface PostgresCalls {
  /**
   * One read, on the pool (pipelined with the others). At the bound it is cancelled, or never
   * sent if still waiting for a connection. A cancel that lands late can only fail the statement
   * the connection runs next, which then says so; it never makes one apply.
   */
  read<T>(make: (db: SQL) => SQL.Query<T>): Promise<T>;
  /**
   * One write, on a connection of its own (`db`: build the query and its helpers with it), so
   * that its cancel at the bound tells whether it ran.
   */
  write<T>(make: (db: SQL) => SQL.Query<T>): Promise<T>;
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

export function postgresCalls(sql: SQL, boundMs: number | undefined): PostgresCalls {
  const timedOut = (cause?: unknown) =>
    storageUnavailable(
      new Error(`no answer from PostgreSQL within ${boundMs} ms (the storage call bound)`, { cause }),
    );
  // Said so in the log line: the pool, not the database, is what stayed busy.
  const poolBusy = () => timedOut(new Error("every storage.pool connection stayed in use"));
  const unconfirmed = (cause: unknown) =>
    storageOutcomeUnknown(new Error("PostgreSQL never answered a write it was sent", { cause }));

  /** The caller's error for a call's failure: which of them depends on whether the bound cut it. */
  const failure = (error: unknown, deadline: CallDeadline) => {
    if (error instanceof GatewayError) return error;
    if (error instanceof NoAnswer) return error.mayHaveApplied ? unconfirmed(error) : timedOut(error);
    if (deadline.passed && isCancelled(error)) return deadline.waitedForPool ? poolBusy() : timedOut(error);
    return isPostgresUnavailable(error) ? storageUnavailable(error) : error;
  };

  /** `run` on a connection of its own; closed rather than given back if the call left it unanswered. */
  const reserved = async <T>(run: (db: ReservedSQL, deadline: CallDeadline) => Promise<T>) => {
    const deadline = new CallDeadline(boundMs);
    try {
      let db: ReservedSQL;
      try {
        db = await deadline.reserve(sql);
      } catch (error) {
        throw deadline.waitedForPool ? poolBusy() : failure(error, deadline);
      }
      let answered = true;
      try {
        return await run(db, deadline);
      } catch (error) {
        answered = !(error instanceof NoAnswer);
        throw failure(error, deadline);
      } finally {
        if (answered) db.release();
        else void db.close().catch(() => {});
      }
    } finally {
      deadline.clear();
    }
  };

  return {
    async read(make) {
      const deadline = new CallDeadline(boundMs);
      const query = make(textSafe(sql));
      try {
        // Past the grace the caller is told; the read itself may settle whenever, harmlessly.
        const stop = (): undefined => {
          deadline.waitedForPool = !query.active;
          query.cancel();
        };
        return await deadline.settle(query, stop, false);
      } catch (error) {
        throw failure(error, deadline);
      } finally {
        deadline.clear();
      }
    },
    write: (make) =>
      reserved(async (db, deadline) => {
        const query = make(textSafe(db));
        try {
          return await deadline.settle(query, () => void query.cancel(), true);
        } catch (error) {
          // Alone on its connection a write is never behind another; should Bun still say the
          // server may run it, it is unconfirmed.
          if (deadline.passed && mayStillRun(error)) throw new NoAnswer(true, error);
          throw error;
        }
      }),
    transaction: <T>(work: (tx: TransactionSQL) => Promise<T>) =>
      reserved((db, deadline) => {
        let open: TransactionSQL | undefined;
        let committing = false;
        const done = db.begin(async (tx) => {
          open = tx;
          const result = await work(textSafe(tx));
          // Cut while `work` ran: throwing keeps Bun from sending COMMIT.
          if (deadline.passed) throw new Error("cut at the storage call bound");
          committing = true;
          return result;
        }) as Promise<T>;
        const stop = () => {
          // COMMIT is sent: the server finishes it whatever is closed, so only its answer tells.
          if (committing) return "wait for the answer" as const;
          // Closing the transaction cancels its running statement and rolls it back; before it
          // began, closing the connection ends it with nothing sent but BEGIN.
          void (open ?? db).close().catch(() => {});
        };
        return deadline.settle(done, stop, false).catch((error: unknown) => {
          // COMMIT's answer never came (no SQLSTATE: Bun's own error, the connection lost).
          if (committing && field(error, "errno") === undefined) throw unconfirmed(error);
          // Cut before COMMIT: rolled back, whatever Bun says of the closed transaction.
          if (deadline.passed && !committing && !(error instanceof NoAnswer)) throw timedOut(error);
          throw error;
        });
      }),
  };
}
