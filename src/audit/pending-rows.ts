import type { AuditBatchResult, AuditStore } from "../storage/storage.ts";
import type { AuditRecord } from "./audit-record.ts";
import { EncodedRows } from "./encoded-rows.ts";

/**
 * The audit writer's records waiting for their batch, oldest first. Only one batch is written at
 * a time; its rows do not count as waiting while it is.
 */
export interface PendingRows {
  /** Rows queued and not in the batch being written. */
  readonly waiting: number;
  push(record: AuditRecord): void;
  /**
   * Writes the oldest `max` waiting rows as one batch. They leave the queue when it is written;
   * when the store throws they stay at its head, before any queued meanwhile, and it rethrows.
   */
  write(max: number): Promise<AuditBatchResult>;
}

/** Bytes for a store that takes text (`AuditStore.insertEncoded`: a thread), records otherwise. */
export function pendingRowsFor(store: AuditStore): PendingRows {
  const { insertEncoded } = store;
  return insertEncoded ? new EncodedRows((batch) => insertEncoded.call(store, batch)) : new RecordRows(store);
}

/** Records as objects, for a store that takes them (memory, an embedder's own). */
class RecordRows implements PendingRows {
  private queue: AuditRecord[] = [];

  constructor(private readonly store: AuditStore) {}

  get waiting(): number {
    return this.queue.length;
  }

  push(record: AuditRecord): void {
    this.queue.push(record);
  }

  async write(max: number): Promise<AuditBatchResult> {
    const batch = this.queue.splice(0, max);
    try {
      return await this.store.insert(batch);
    } catch (error) {
      this.queue = batch.concat(this.queue);
      throw error;
    }
  }
}
