import type { AuditStore } from "../storage/storage.ts";
import type { AccessLineRelay } from "./access-line-relay.ts";
import type { RowDrops } from "./dropped-rows-log.ts";
import type { QueuedBodiesOptions } from "./queued-bodies.ts";
import type { RefusedRowsLog } from "./refused-rows-log.ts";

/**
 * How the audit writer batches, bounds and recovers. Durations in milliseconds. `bodies`,
 * `redact` and `bodyDrops`: what a queued row's bodies are (queued-bodies.ts).
 */
export interface AuditWriterOptions extends QueuedBodiesOptions {
  /** Where batches go (`Storage.audit`); it reconnects by itself after a failure. */
  store: AuditStore;
  /** `audit.flush_ms`: the most a record waits in memory; also what `kill -9` can lose. */
  flushMs?: number;
  /** A batch this large is written at once, without waiting for the flush window. */
  batchSize?: number;
  /**
   * The most records the queue holds, the batch being written included (it is held until written,
   * and back at the queue's head if its write fails); past it new records are refused and counted.
   */
  maxQueue?: number;
  /**
   * `audit.max_queue_bytes`: what the queued rows may take (`PendingRows.bytes`). A row whose
   * bodies would take the queue into its last part (queued-bodies.ts `ROWS_ROOM_SHARE`) is queued with each body
   * replaced by `BODY_NOT_KEPT` (counted in `bodiesDropped`); a row that finds the queue at the
   * bound is refused, as past `maxQueue`.
   */
  maxQueueBytes?: number;
  /** Told of each row refused at the queue's bound, and of each queued (dropped-rows-log.ts). */
  rowDrops?: RowDrops;
  /** Told of each batch's rows the store refused on their own (refused-rows-log.ts). */
  refusedRows?: Pick<RefusedRowsLog, "refused">;
  /** First retry delay after a storage failure; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Called when the storage fails (false, with the error) and when it recovers (true). */
  onHealthChange?: (healthy: boolean, error: unknown) => void;
  /** Called after each batch is written, with its size and how long the write took (ms). */
  onBatch?: (rows: number, ms: number) => void;
  /**
   * A served request's row queued while storage is healthy carries its access line, which the
   * store's thread writes (access-line-relay.ts); only where the store offers it.
   */
  lines?: AccessLineRelay;
  /**
   * How long one insert or probe may run before it counts as a failure: by default the longer of
   * `STORE_CALL_LEAST_MS` and ten flush windows.
   */
  storeCallMs?: number;
}

/**
 * `audit.max_queue_bytes` by default: 64 rows of 4 MB bodies (an image each way), or ~1M rows
 * without; the row bound (100,000, ~22 MB of rows without bodies) comes first for those.
 */
export const DEFAULT_MAX_QUEUE_BYTES = 256 * 1024 * 1024;

/**
 * The least time an insert or a probe runs before the writer gives up on it while running: the
 * built-in stores answer in milliseconds (their calls are bounded, or on a thread), so only a store
 * that hangs (an embedder's, a lost connection that never errors) reaches it.
 */
export const STORE_CALL_LEAST_MS = 5_000;
