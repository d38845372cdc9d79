import type { AuditStore } from "../storage/storage.ts";
import type { AuditRecord } from "./audit-record.ts";
import { rowKeyText } from "./audit-row-key.ts";

/** What an import did, row by row. */
export interface AuditImport {
  /** The records stored now, in the input's order. */
  readonly imported: AuditRecord[];
  /** Rows the log held already, or given twice in the input: skipped. */
  readonly alreadyStored: number;
  /**
   * The records the log held already, each once: stored by an import before, or by the write a
   * stop stopped waiting for (a `maybe-stored` file), which nothing in the log tells apart.
   */
  readonly held: AuditRecord[];
  /** Records the store refused on their own (a value it cannot hold): not stored. */
  readonly refused: AuditRecord[];
}

/**
 * Stores the records the log does not hold yet (a row with the same request id and start counts
 * as held: `AuditStore.alreadyStored`), through the store's own write (`insert`: interned strings,
 * bodies, every index), as one batch: one transaction, so a storage failure stores none of them.
 * What was stored is read back, so a record the store refused on its own is named, not guessed.
 * Running it again on the same records stores nothing.
 */
export async function importAudit(store: AuditStore, records: readonly AuditRecord[]): Promise<AuditImport> {
  if (!store.alreadyStored)
    throw new Error("this audit store cannot tell which rows it holds, so it takes no import");
  const seen = new Set<string>();
  const distinct = records.filter((record) => {
    const key = rowKeyText(record);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const stored = new Set((await store.alreadyStored(distinct)).map(rowKeyText));
  const held = distinct.filter((record) => stored.has(rowKeyText(record)));
  const fresh = distinct.filter((record) => !stored.has(rowKeyText(record)));
  const alreadyStored = records.length - fresh.length;
  if (fresh.length === 0) return { imported: [], alreadyStored, held, refused: [] };
  const { rejected } = await store.insert(fresh);
  if (rejected === 0) return { imported: fresh, alreadyStored, held, refused: [] };
  const taken = new Set((await store.alreadyStored(fresh)).map(rowKeyText));
  return {
    imported: fresh.filter((record) => taken.has(rowKeyText(record))),
    alreadyStored,
    held,
    refused: fresh.filter((record) => !taken.has(rowKeyText(record))),
  };
}
