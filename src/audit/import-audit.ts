import type { AuditStore } from "../storage/storage.ts";
import type { AuditRecord } from "./audit-record.ts";
import { rowKeyText } from "./audit-row-key.ts";
import { auditUserAgent } from "./audit-text.ts";

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
 * `record` as a request's row holds it: its User-Agent cut (audit-text.ts), which an export from
 * before requests cut it, or a row written by hand, may hold at any length, and PostgreSQL would
 * store whole. The record itself when it holds no more, as nearly every one.
 */
function asStored(record: AuditRecord): AuditRecord {
  const userAgent = auditUserAgent(record.userAgent);
  return userAgent === record.userAgent ? record : { ...record, userAgent };
}

/**
 * The input's records, a line given twice (the same record, field for field) kept once. Two
 * records with one request id and start that differ are two requests: a client may send one
 * `x-request-id` twice within a millisecond. Only records sharing a key are compared as text, so a
 * large import is not held twice over as its records' JSON.
 */
function distinctRecords(records: readonly AuditRecord[]): AuditRecord[] {
  const sharing = new Map<string, number>();
  for (const record of records) {
    const key = rowKeyText(record);
    sharing.set(key, (sharing.get(key) ?? 0) + 1);
  }
  const seen = new Map<string, Set<string>>();
  return records.filter((record) => {
    const key = rowKeyText(record);
    if ((sharing.get(key) ?? 0) < 2) return true;
    const texts = seen.get(key) ?? new Set<string>();
    seen.set(key, texts);
    const text = JSON.stringify(record);
    if (texts.has(text)) return false;
    texts.add(text);
    return true;
  });
}

/**
 * Of `records`, those the log holds already, by count: `stored` has one key per stored row, and
 * as many of the records with that key as the log holds rows with it count as held, the first
 * ones in the input's order (rows with one request id and start tell apart by nothing the store
 * is asked for; an import that stored them before stored them all, so a second holds them all).
 */
function heldOf(
  records: readonly AuditRecord[],
  stored: readonly { requestId: string; startedAt: number }[],
) {
  const left = new Map<string, number>();
  for (const row of stored) {
    const key = rowKeyText(row);
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  const held = new Set<AuditRecord>();
  for (const record of records) {
    const key = rowKeyText(record);
    const count = left.get(key) ?? 0;
    if (count === 0) continue;
    left.set(key, count - 1);
    held.add(record);
  }
  return held;
}

/**
 * Stores the records the log does not hold yet (by request id and start, counted: a log holding
 * one row with a key holds one of the records with it, `AuditStore.alreadyStored`), through the
 * store's own write (`insert`: interned strings, bodies, every index), as one batch: one
 * transaction, so a storage failure stores none of them. What was stored is read back, so a
 * record the store refused on its own is named, not guessed. Running it again on the same records
 * stores nothing. Each is stored, and told back, as a request's row holds it (`asStored`).
 */
export async function importAudit(store: AuditStore, records: readonly AuditRecord[]): Promise<AuditImport> {
  if (!store.alreadyStored)
    throw new Error("this audit store cannot tell which rows it holds, so it takes no import");
  const distinct = distinctRecords(records.map(asStored));
  const stored = heldOf(distinct, await store.alreadyStored(distinct));
  const held = distinct.filter((record) => stored.has(record));
  const fresh = distinct.filter((record) => !stored.has(record));
  const alreadyStored = records.length - fresh.length;
  if (fresh.length === 0) return { imported: [], alreadyStored, held, refused: [] };
  const { rejected } = await store.insert(fresh);
  if (rejected === 0) return { imported: fresh, alreadyStored, held, refused: [] };
  // The held first: they take their keys' rows stored before, the fresh ones what is left.
  const taken = heldOf([...held, ...fresh], await store.alreadyStored(distinct));
  return {
    imported: fresh.filter((record) => taken.has(record)),
    alreadyStored,
    held,
    refused: fresh.filter((record) => !taken.has(record)),
  };
}
