import type { Database, Statement } from "bun:sqlite";

/**
 * How far a value's stamp may lag the rows that use it, in row ids: a value is stamped again only
 * once the rows since its stamp are this many. Stamping every value a batch uses, every batch,
 * dirtied the values' pages and their index in each commit (`bench/audit-thread-micro.ts`: 2.13 →
 * 2.27 µs of the audit thread a row, 459 → 526 bytes written a row); once in 10,000 rows it is
 * lost in the noise (2.32 against 2.32 µs, 462 against 459 bytes). The sweep allows for the lag
 * (interned-sweep.ts).
 */
export const RESTAMP_ROWS = 10_000;

/** An interned value's id, its stamp as last written, and the last batch that used it. */
export interface Interned {
  readonly id: number;
  /** Its `last_log_id` as this process last read or wrote it; null when it has none yet. */
  stamp: number | null;
  batch: number;
}

/**
 * Keeps each interned value's `last_log_id` (audit migration 8), the newest log row that refers
 * to it, within `RESTAMP_ROWS` of the truth: a value a batch uses is stamped with the newest row
 * at the end of the batch when it has no stamp yet or its stamp is that far behind the rows the
 * batch may write. So every row that refers to a value has an id below the value's stamp plus
 * `RESTAMP_ROWS`, which is what lets retention delete the values no row refers to any longer.
 */
export class InternedStamps {
  private batch = 0;
  /** The highest id a row of this batch can get (the newest row's, plus the batch's rows). */
  private highest = 0;
  private readonly due: { strings: Interned[]; principals: Interned[] } = { strings: [], principals: [] };
  private readonly newest: Statement<{ id: number }>;
  private readonly stamp: { strings: Statement; principals: Statement };

  constructor(db: Database) {
    this.newest = db.prepare("SELECT coalesce(max(id), 0) AS id FROM audit_log");
    this.stamp = {
      strings: db.prepare("UPDATE audit_strings SET last_log_id = ? WHERE id = ?"),
      principals: db.prepare("UPDATE audit_principals SET last_log_id = ? WHERE id = ?"),
    };
  }

  /** A batch of `rows` rows starts (in its transaction). */
  begin(rows: number): void {
    this.batch++;
    this.due.strings.length = 0;
    this.due.principals.length = 0;
    this.highest = this.newest.get()!.id + rows;
  }

  /** A row of the batch refers to `value`; returns its id. */
  use(value: Interned, table: "strings" | "principals"): number {
    if (value.batch !== this.batch) {
      value.batch = this.batch;
      if (value.stamp === null || this.highest - value.stamp >= RESTAMP_ROWS) this.due[table].push(value);
    }
    return value.id;
  }

  /** The batch's rows are inserted: stamps the values due with its newest row (in its transaction). */
  end(): void {
    if (this.due.strings.length === 0 && this.due.principals.length === 0) return;
    const newest = this.newest.get()!.id;
    for (const table of ["strings", "principals"] as const)
      for (const value of this.due[table]) {
        this.stamp[table].run(newest, value.id);
        value.stamp = newest;
      }
  }

  finalize(): void {
    for (const s of [this.newest, this.stamp.strings, this.stamp.principals]) s.finalize();
  }
}
