import { decodeAttempts, encodeAttempts } from "../../audit/audit-attempt.ts";
import type { AuditPosition } from "../../audit/audit-cursor.ts";
import { keyFilterIsId } from "../../audit/audit-query-key.ts";
import { forwardedPrefix } from "../../audit/audit-query-route.ts";
import type { AuditFilter } from "../../audit/audit-query-schema.ts";
import { type AuditRecord, STATUS_CLASS_BOUNDS } from "../../audit/audit-record.ts";
import { type AuditColumns, toAuditRecord } from "../audit-row.ts";

/** One audit_log row (with bodies when asked), as Bun's PostgreSQL client returns it. */
export interface PostgresAuditRow extends AuditColumns {
  id: string;
  started_at: string;
  stream: boolean;
  attempts?: string | null;
}

/** The keyset-paginated SELECT for a filter, with `$n` parameters. */
export function selectPostgresPage(
  filter: AuditFilter,
  after: AuditPosition | null,
  limit: number,
): { text: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const p = (value: string | number) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.from !== undefined) where.push(`l.started_at >= ${p(filter.from)}`);
  if (filter.to !== undefined) where.push(`l.started_at < ${p(filter.to)}`);
  if (filter.key !== undefined) {
    const key = p(filter.key);
    // A value spelt as an id matches that id alone (audit-query-key.ts).
    where.push(
      keyFilterIsId(filter.key) ? `l.key_id = ${key}` : `(l.key_id = ${key} OR l.key_name = ${key})`,
    );
  }
  // A tenant's admin is always held to its own tenant's rows (admin-routes.ts): never dropped.
  if (filter.tenant !== undefined) where.push(`l.tenant = ${p(filter.tenant)}`);
  if (filter.model !== undefined) where.push(`l.model = ${p(filter.model)}`);
  if (filter.route !== undefined) {
    const forwarded = forwardedPrefix(filter.route);
    // A worker's forwarded rows too (`worker:<name>@<node>`): a prefix, not a LIKE pattern, so a
    // `_` or `%` in the name is only itself.
    where.push(
      forwarded === undefined
        ? `l.route = ${p(filter.route)}`
        : `(l.route = ${p(filter.route)} OR starts_with(l.route, ${p(forwarded)}))`,
    );
  }
  if (filter.app !== undefined) where.push(`l.app = ${p(filter.app)}`);
  if (filter.exclude_front_door !== undefined) where.push(`l.front_door <> ${p(filter.exclude_front_door)}`);
  if (typeof filter.status === "number") where.push(`l.status = ${p(filter.status)}`);
  else if (filter.status !== undefined) {
    const [low, high] = STATUS_CLASS_BOUNDS[filter.status];
    where.push(`l.status BETWEEN ${p(low)} AND ${p(high)}`);
  }
  const desc = filter.order === "desc";
  if (after !== null)
    where.push(`(l.started_at, l.id) ${desc ? "<" : ">"} (${p(after.startedAt)}, ${p(after.id)})`);
  const from = filter.bodies
    ? "l.*, b.request_body, b.response_body FROM audit_log l LEFT JOIN audit_bodies b ON b.log_id = l.id"
    : "l.* FROM audit_log l";
  const direction = desc ? "DESC" : "ASC";
  const text = `SELECT ${from} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY l.started_at ${direction}, l.id ${direction} LIMIT ${p(limit)}`;
  return { text, params };
}

export const postgresRowToRecord = (row: PostgresAuditRow): AuditRecord =>
  toAuditRecord(row, decodeAttempts(row.attempts));

/**
 * audit_log's token columns are `INTEGER`: a count past its largest (a buggy or hostile upstream's
 * usage, relayed as sent) is stored as that largest, where PostgreSQL refused the row and it was
 * dropped from the log. Clamped, not widened by a migration: a type change rewrites the table
 * under a lock at the first start of the release, minutes for a large log, for a count no request
 * reaches; the row's cost, computed from the count as reported, is stored as it is.
 */
export const LARGEST_STORED_TOKENS = 2_147_483_647;
const storedTokens = (count: number): number => Math.min(count, LARGEST_STORED_TOKENS);

/** The audit_log columns of a record, in insert order. */
export function recordToPostgresRow(r: AuditRecord) {
  return {
    request_id: r.requestId,
    started_at: r.startedAt,
    key_id: r.keyId,
    key_name: r.keyName,
    tenant: r.tenant,
    role: r.role,
    front_door: r.frontDoor,
    model: r.model,
    route: r.route,
    upstream_model: r.upstreamModel,
    status: r.status,
    error_class: r.errorClass,
    stream: r.stream,
    latency_ms: r.latencyMs,
    ttfb_ms: r.ttfbMs,
    input_tokens: storedTokens(r.inputTokens),
    output_tokens: storedTokens(r.outputTokens),
    cost_usd: r.costUsd,
    client_ip: r.clientIp,
    user_agent: r.userAgent,
    error_message: r.errorMessage ?? null,
    dropped: r.dropped ?? null,
    attempts: encodeAttempts(r.attempts),
    node: r.node ?? null,
    served_node: r.servedNode ?? null,
    app: r.app ?? null,
  };
}
