import type { Database, Statement } from "bun:sqlite";
import { encodeAttempts } from "../../audit/audit-attempt.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { type AuditRowFields, emptyAuditRow, FIELD, fillAuditRow } from "../../audit/audit-row-fields.ts";
import { auditText, MAX_AUDIT_TEXT } from "../../audit/audit-text.ts";
import { soleAttempt } from "../../audit/sole-attempt.ts";
import { countRefusal } from "../count-refusal.ts";
import type { AuditBatchResult } from "../storage.ts";
import { type Interned, InternedStamps } from "./interned-stamps.ts";
import { sqliteRefusal } from "./sqlite-refusal.ts";
import { isStorageFailure } from "./storage-failure.ts";

/** The intern caches are bounded too: past this many entries they start over. */
const MAX_CACHE = 10_000;

/**
 * Writes batches of records in one transaction with prepared statements, interning the
 * repeated metadata, each value stamped with the newest row that uses it (interned-stamps.ts).
 * Throws only for storage failures (the whole batch rolled back).
 */
export class AuditInserter {
  private readonly insertLog: Statement;
  private readonly insertBody: Statement;
  private readonly internString: Statement<{ id: number; last_log_id: number | null }>;
  private readonly internPrincipal: Statement<{ id: number; last_log_id: number | null }>;
  private readonly stamps: InternedStamps;
  private readonly strings = new Map<string, Interned>();
  private readonly principals = new Map<string, Interned>();
  private lastPrincipal: {
    keyId: string | null;
    keyName: string | null;
    tenant: string | null;
    role: string | null;
    interned: Interned;
  } | null = null;
  /** The one row array `insertBatch` fills for each record it binds. */
  private readonly scratch = emptyAuditRow();

  constructor(private readonly db: Database) {
    this.insertLog = db.prepare(
      `INSERT INTO audit_log (request_id, started_at, principal_id, front_door, model_id, route_id,
        upstream_model_id, status, error_class_id, stream, latency_ms, ttfb_ms, input_tokens,
        output_tokens, cost_usd, client_ip, user_agent_id, error_message, dropped, attempts, attempt_ms, node, served_node,
        app)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A body read from a batch comes as its UTF-8 (audit-row-fields.ts `BodyText`), which SQLite
    // would keep as a blob: cast, it is the text a string's bind stores (a string's cast is none).
    this.insertBody = db.prepare(
      "INSERT INTO audit_bodies (log_id, request_body, response_body) VALUES (?, CAST(? AS TEXT), CAST(? AS TEXT))",
    );
    // The no-op update makes RETURNING yield the id of an existing row too.
    this.internString = db.prepare(
      "INSERT INTO audit_strings (value) VALUES (?) ON CONFLICT(value) DO UPDATE SET value = excluded.value RETURNING id, last_log_id",
    );
    this.internPrincipal = db.prepare(
      `INSERT INTO audit_principals (key_id, key_name, tenant, role, fingerprint) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint RETURNING id, last_log_id`,
    );
    this.stamps = new InternedStamps(db);
  }

  insertBatch(records: readonly AuditRecord[]): AuditBatchResult {
    const row = this.scratch;
    return this.write(
      records.length,
      (i) => this.insertRow(fillAuditRow(records[i] as AuditRecord, row)),
      (i) => (records[i] as AuditRecord).requestId,
    );
  }

  /** `insertBatch` of rows as an audit thread reads them (`parseAuditBatch`): no record objects. */
  insertRows(rows: readonly AuditRowFields[]): AuditBatchResult {
    return this.write(
      rows.length,
      (i) => this.insertRow(rows[i] as AuditRowFields),
      (i) => (rows[i] as AuditRowFields)[FIELD.requestId],
    );
  }

  private write(
    count: number,
    insert: (index: number) => void,
    requestId: (index: number) => string,
  ): AuditBatchResult {
    const result: AuditBatchResult = { written: 0, rejected: 0 };
    try {
      // IMMEDIATE: the batch reads (its newest row, interned ids) before it writes, and a deferred
      // transaction that reads, then finds another connection committed (a key created on the
      // event loop), cannot take the write lock: SQLite answers SQLITE_BUSY at once, no busy wait.
      this.db
        .transaction(() => {
          this.stamps.begin(count);
          for (let i = 0; i < count; i++) {
            try {
              insert(i);
              result.written++;
            } catch (error) {
              if (isStorageFailure(error)) throw error;
              countRefusal(result, { requestId: requestId(i), reason: sqliteRefusal(error) });
            }
          }
          this.stamps.end();
        })
        .immediate();
    } catch (error) {
      // Ids interned in the rolled-back transaction no longer exist.
      this.forget();
      throw error;
    }
    return result;
  }

  /**
   * Forgets the interned ids it holds: after a rollback, and after retention deleted values (a
   * value deleted may be used again, interned anew).
   */
  forget(): void {
    this.strings.clear();
    this.principals.clear();
    this.lastPrincipal = null;
  }

  private insertRow(row: AuditRowFields): void {
    const attemptMs = this.attemptMs(row);
    const { lastInsertRowid } = this.insertLog.run(
      row[FIELD.requestId],
      row[FIELD.startedAt],
      this.principal(row),
      row[FIELD.frontDoor],
      this.string(row[FIELD.model]),
      this.string(row[FIELD.route]),
      this.string(row[FIELD.upstreamModel]),
      row[FIELD.status],
      this.string(row[FIELD.errorClass]),
      row[FIELD.stream] ? 1 : 0,
      row[FIELD.latencyMs],
      row[FIELD.ttfbMs],
      row[FIELD.inputTokens],
      row[FIELD.outputTokens],
      row[FIELD.costUsd],
      row[FIELD.clientIp],
      this.string(row[FIELD.userAgent]),
      row[FIELD.errorMessage],
      row[FIELD.dropped],
      this.attemptsText(row, attemptMs),
      attemptMs,
      row[FIELD.node],
      row[FIELD.servedNode],
      row[FIELD.app],
    );
    const request = row[FIELD.requestBody];
    const response = row[FIELD.responseBody];
    if (request !== null || response !== null) this.insertBody.run(lastInsertRowid, request, response);
  }

  /**
   * `attempt_ms` (audit migration 6): the row's one ok attempt on its own route and model comes as
   * its duration (sole-attempt.ts) and is kept as that, unless the route or model is too long to
   * intern whole (a read could not make the attempt again from them). Null otherwise.
   */
  private attemptMs(row: AuditRowFields): number | null {
    const attempts = row[FIELD.attempts];
    return typeof attempts === "number" &&
      (row[FIELD.route]?.length ?? 0) <= MAX_AUDIT_TEXT &&
      (row[FIELD.upstreamModel]?.length ?? 0) <= MAX_AUDIT_TEXT
      ? attempts
      : null;
  }

  /** `attempts`, the JSON text of the row's attempts when `attempt_ms` does not hold them. */
  private attemptsText(row: AuditRowFields, attemptMs: number | null): string | null {
    if (attemptMs !== null) return null;
    const attempts = row[FIELD.attempts];
    return encodeAttempts(
      typeof attempts === "number"
        ? soleAttempt(row[FIELD.route], row[FIELD.upstreamModel], attempts)
        : attempts,
    );
  }

  /**
   * Interned id of a text, cut as audit-text.ts says (a model or route name someone else chose):
   * the table stays small.
   */
  private string(value: string | null): number | null {
    if (value === null) return null;
    const text = auditText(value);
    let interned = this.strings.get(text);
    if (interned === undefined) {
      const { id, last_log_id } = this.internString.get(text)!;
      interned = { id, stamp: last_log_id, batch: 0 };
      if (this.strings.size >= MAX_CACHE) this.strings.clear();
      this.strings.set(text, interned);
    }
    return this.stamps.use(interned, "strings");
  }

  /**
   * Interned id of the row's caller. Consecutive rows are mostly one caller's: that one is
   * compared field by field before its fingerprint (a string a row) is made and looked up.
   */
  private principal(row: AuditRowFields): number | null {
    const keyId = row[FIELD.keyId];
    const keyName = row[FIELD.keyName];
    const tenant = row[FIELD.tenant];
    const role = row[FIELD.role];
    if (keyId === null && keyName === null && tenant === null && role === null) return null;
    const last = this.lastPrincipal;
    if (last?.keyId === keyId && last.keyName === keyName && last.tenant === tenant && last.role === role)
      return this.stamps.use(last.interned, "principals");
    const fingerprint = JSON.stringify([keyId, keyName, tenant, role]);
    let interned = this.principals.get(fingerprint);
    if (interned === undefined) {
      const { id, last_log_id } = this.internPrincipal.get(keyId, keyName, tenant, role, fingerprint)!;
      interned = { id, stamp: last_log_id, batch: 0 };
      if (this.principals.size >= MAX_CACHE) this.principals.clear();
      this.principals.set(fingerprint, interned);
    }
    this.lastPrincipal = { keyId, keyName, tenant, role, interned };
    return this.stamps.use(interned, "principals");
  }

  /** Releases the prepared statements (before the handle is closed). */
  finalize(): void {
    for (const s of [this.insertLog, this.insertBody, this.internString, this.internPrincipal]) s.finalize();
    this.stamps.finalize();
  }
}
