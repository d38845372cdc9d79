import type { Database, Statement } from "bun:sqlite";
import { encodeAttempts } from "../../audit/audit-attempt.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { AuditBatchResult } from "../storage.ts";
import { MAX_STRING, soleAttemptMs } from "./sole-attempt.ts";
import { isStorageFailure } from "./storage-failure.ts";

/** The intern caches are bounded too: past this many entries they start over. */
const MAX_CACHE = 10_000;

/**
 * Writes batches of records in one transaction with prepared statements, interning the
 * repeated metadata. Throws only for storage failures (the whole batch rolled back).
 */
export class AuditInserter {
  private readonly insertLog: Statement;
  private readonly insertBody: Statement;
  private readonly internString: Statement<{ id: number }>;
  private readonly internPrincipal: Statement<{ id: number }>;
  private readonly strings = new Map<string, number>();
  private readonly principals = new Map<string, number>();

  constructor(private readonly db: Database) {
    this.insertLog = db.prepare(
      `INSERT INTO audit_log (request_id, started_at, principal_id, front_door, model_id, route_id,
        upstream_model_id, status, error_class_id, stream, latency_ms, ttfb_ms, input_tokens,
        output_tokens, cost_usd, client_ip, user_agent_id, error_message, dropped, attempts, attempt_ms, node, served_node)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertBody = db.prepare(
      "INSERT INTO audit_bodies (log_id, request_body, response_body) VALUES (?, ?, ?)",
    );
    // The no-op update makes RETURNING yield the id of an existing row too.
    this.internString = db.prepare(
      "INSERT INTO audit_strings (value) VALUES (?) ON CONFLICT(value) DO UPDATE SET value = excluded.value RETURNING id",
    );
    this.internPrincipal = db.prepare(
      `INSERT INTO audit_principals (key_id, key_name, tenant, role, fingerprint) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint RETURNING id`,
    );
  }

  insertBatch(records: readonly AuditRecord[]): AuditBatchResult {
    const result: AuditBatchResult = { written: 0, rejected: 0 };
    try {
      this.db.transaction(() => {
        for (const record of records) {
          try {
            this.insertOne(record);
            result.written++;
          } catch (error) {
            if (isStorageFailure(error)) throw error;
            result.rejected++;
          }
        }
      })();
    } catch (error) {
      // Ids interned in the rolled-back transaction no longer exist.
      this.strings.clear();
      this.principals.clear();
      throw error;
    }
    return result;
  }

  private insertOne(r: AuditRecord): void {
    const attemptMs = soleAttemptMs(r);
    const { lastInsertRowid } = this.insertLog.run(
      r.requestId,
      r.startedAt,
      this.principal(r),
      r.frontDoor,
      this.string(r.model),
      this.string(r.route),
      this.string(r.upstreamModel),
      r.status,
      this.string(r.errorClass),
      r.stream ? 1 : 0,
      r.latencyMs,
      r.ttfbMs,
      r.inputTokens,
      r.outputTokens,
      r.costUsd,
      r.clientIp,
      this.string(r.userAgent),
      r.errorMessage ?? null,
      r.dropped ?? null,
      attemptMs === null ? encodeAttempts(r.attempts) : null,
      attemptMs,
      r.node ?? null,
      r.servedNode ?? null,
    );
    const request = r.requestBody ?? null;
    const response = r.responseBody ?? null;
    if (request !== null || response !== null) this.insertBody.run(lastInsertRowid, request, response);
  }

  /** Interned id of a text; long ones (user agents are attacker-controlled) cut so the table stays small. */
  private string(value: string | null): number | null {
    if (value === null) return null;
    const text = value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
    const cached = this.strings.get(text);
    if (cached !== undefined) return cached;
    const id = this.internString.get(text)!.id;
    if (this.strings.size >= MAX_CACHE) this.strings.clear();
    this.strings.set(text, id);
    return id;
  }

  private principal(r: AuditRecord): number | null {
    if (r.keyId === null && r.keyName === null && r.tenant === null && r.role === null) return null;
    const fingerprint = JSON.stringify([r.keyId, r.keyName, r.tenant, r.role]);
    const cached = this.principals.get(fingerprint);
    if (cached !== undefined) return cached;
    const id = this.internPrincipal.get(r.keyId, r.keyName, r.tenant, r.role, fingerprint)!.id;
    if (this.principals.size >= MAX_CACHE) this.principals.clear();
    this.principals.set(fingerprint, id);
    return id;
  }

  /** Releases the prepared statements (before the handle is closed). */
  finalize(): void {
    for (const s of [this.insertLog, this.insertBody, this.internString, this.internPrincipal]) s.finalize();
  }
}
