import type { Database, SQLQueryBindings } from "bun:sqlite";
import { decodeAttempts } from "../../audit/audit-attempt.ts";
import type { AuditPosition } from "../../audit/audit-cursor.ts";
import { keyFilterIsId } from "../../audit/audit-query-key.ts";
import { forwardedPrefix } from "../../audit/audit-query-route.ts";
import type { AuditFilter } from "../../audit/audit-query-schema.ts";
import { type AuditRecord, STATUS_CLASS_BOUNDS } from "../../audit/audit-record.ts";
import { soleAttempt } from "../../audit/sole-attempt.ts";
import { type AuditColumns, toAuditRecord } from "../audit-row.ts";

/** One joined row, as SQLite returns it. */
export interface AuditRow extends AuditColumns {
  id: number;
  started_at: number;
  stream: number;
  error_message: string | null;
  dropped: string | null;
  attempts: string | null;
  attempt_ms: number | null;
  node: string | null;
  served_node: string | null;
  app: string | null;
}

const COLUMNS = `l.id, l.request_id, l.started_at, p.key_id, p.key_name, p.tenant, p.role, l.front_door,
  m.value AS model, r.value AS route, u.value AS upstream_model, l.status, e.value AS error_class,
  l.stream, l.latency_ms, l.ttfb_ms, l.input_tokens, l.output_tokens, l.cost_usd, l.client_ip,
  a.value AS user_agent, l.error_message, l.dropped, l.attempts, l.attempt_ms,
  l.node, l.served_node`;

/** The columns read from a log with `app` (audit migration 9), and from one an older mindgw left. */
const columnsOf = (hasApp: boolean) => `${COLUMNS}, ${hasApp ? "l.app" : "NULL AS app"}`;

const JOINS = `LEFT JOIN audit_principals p ON p.id = l.principal_id
  LEFT JOIN audit_strings m ON m.id = l.model_id
  LEFT JOIN audit_strings r ON r.id = l.route_id
  LEFT JOIN audit_strings u ON u.id = l.upstream_model_id
  LEFT JOIN audit_strings e ON e.id = l.error_class_id
  LEFT JOIN audit_strings a ON a.id = l.user_agent_id`;

/**
 * The status `audit_log_status` leaves out (audit migration 7): nearly every row is a 200, so a
 * filter on it walks the time index. SQLite uses a partial index only for a query that states
 * the index's own condition, word for word: `selectPage` adds it to every filter that excludes 200.
 */
const PARTIAL_STATUS = "l.status <> 200";

/** The least status in a range (exclusive low, inclusive high), a seek of the partial status index. */
export const NEXT_STATUS = `SELECT MIN(status) AS s FROM audit_log l WHERE status > ? AND status <= ? AND ${PARTIAL_STATUS}`;

/** Whether a status filter leaves out every 200, so that the partial status index can serve it. */
function excludesOk(status: AuditFilter["status"]): boolean {
  return status !== undefined && status !== 200 && status !== "2xx";
}

/**
 * The discrete values a filter allows on one indexed column: the principal ids a key or tenant
 * filter names, or the statuses of a status class present in the log. Resolved beforehand by
 * the store (sqlite-audit-store.ts), so that each value can walk its own (column, started_at)
 * index in order instead of the whole matching set being sorted.
 */
export interface DrivingValues {
  column: "principal_id" | "status";
  values: readonly number[];
}

/**
 * The keyset-paginated SELECT for a filter: rows strictly after `after` in the filter's order,
 * at most `limit`. Every page is its own short read, so no reader holds a WAL snapshot open.
 *
 * A key, tenant or status-class filter matches a set of values, and SQLite cannot walk several
 * index ranges in time order: it would sort every matching row (a quarter of a million for a
 * busy key) to return fifty. Given `drive`, each value instead reads at most `limit` rows in
 * order from its own index range, and only those few are merged.
 *
 * `hasApp`: the log has the `app` column (audit-migrations.ts `APP_AUDIT_SCHEMA`); a file an older
 * mindgw left, read as it is, has none, and no row of it has an app.
 */
export function selectPage(
  filter: AuditFilter,
  after: AuditPosition | null,
  limit: number,
  drive?: DrivingValues,
  hasApp = true,
): { sql: string; params: SQLQueryBindings[] } {
  const where: string[] = [];
  const params: SQLQueryBindings[] = [];
  // With a driving column, the other columns are only checked (`+` keeps SQLite off their index).
  const check = drive ? "+" : "";
  const add = (clause: string, ...values: SQLQueryBindings[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (filter.from !== undefined) add("l.started_at >= ?", filter.from);
  if (filter.to !== undefined) add("l.started_at < ?", filter.to);
  if (drive?.column !== "principal_id") {
    if (filter.key !== undefined) {
      const { clause, values } = principalsOfKey(filter.key);
      add(`${check}l.principal_id IN (SELECT id FROM audit_principals WHERE ${clause})`, ...values);
    }
    if (filter.tenant !== undefined)
      add(`${check}l.principal_id IN (SELECT id FROM audit_principals WHERE tenant = ?)`, filter.tenant);
  }
  if (filter.model !== undefined)
    add(`${check}l.model_id = (SELECT id FROM audit_strings WHERE value = ?)`, filter.model);
  if (filter.route !== undefined) {
    const forwarded = forwardedPrefix(filter.route);
    if (forwarded === undefined)
      add("l.route_id = (SELECT id FROM audit_strings WHERE value = ?)", filter.route);
    // Its forwarded rows too: every string from `worker:<name>@` up to `worker:<name>A`, the next
    // after all of them ('A' follows '@'; text compares bytewise here), on the strings' index.
    else
      add(
        "l.route_id IN (SELECT id FROM audit_strings WHERE value = ? OR (value >= ? AND value < ?))",
        filter.route,
        forwarded,
        `${filter.route}A`,
      );
  }
  // No index of its own (few apps): checked on the rows another index or time order walks.
  if (filter.app !== undefined) add(hasApp ? "l.app = ?" : "NULL = ?", filter.app);
  if (filter.exclude_front_door !== undefined) add("l.front_door <> ?", filter.exclude_front_door);
  if (typeof filter.status === "number") add(`${check}l.status = ?`, filter.status);
  else if (filter.status !== undefined && drive?.column !== "status")
    add(`${check}l.status BETWEEN ? AND ?`, ...STATUS_CLASS_BOUNDS[filter.status]);
  // Not where the status is only checked (driven by principal): there no status index is wanted.
  if (excludesOk(filter.status) && drive?.column !== "principal_id") where.push(PARTIAL_STATUS);
  const desc = filter.order === "desc";
  if (after !== null) add(`(l.started_at, l.id) ${desc ? "<" : ">"} (?, ?)`, after.startedAt, after.id);
  const bodies = filter.bodies
    ? ", b.request_body, b.response_body FROM audit_log l LEFT JOIN audit_bodies b ON b.log_id = l.id"
    : " FROM audit_log l";
  const direction = desc ? "DESC" : "ASC";
  const order = `ORDER BY l.started_at ${direction}, l.id ${direction}`;
  if (!drive) {
    const sql = `SELECT ${columnsOf(hasApp)}${bodies} ${JOINS} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ${order} LIMIT ?`;
    return { sql, params: [...params, limit] };
  }
  const arms: string[] = [];
  const armParams: SQLQueryBindings[] = [];
  for (const value of drive.values) {
    arms.push(`SELECT id FROM (SELECT l.id FROM audit_log l
      WHERE ${[`l.${drive.column} = ?`, ...where].join(" AND ")} ${order} LIMIT ?)`);
    armParams.push(value, ...params, limit);
  }
  const sql = `SELECT ${columnsOf(hasApp)}${bodies} ${JOINS} WHERE l.id IN (${arms.join(" UNION ALL ")}) ${order} LIMIT ?`;
  return { sql, params: [...armParams, limit] };
}

/** The principals a key filter selects (audit-query-key.ts): an id's alone, or a name's and an id's. */
function principalsOfKey(key: string): { clause: string; values: SQLQueryBindings[] } {
  return keyFilterIsId(key)
    ? { clause: "key_id = ?", values: [key] }
    : { clause: "(key_id = ? OR key_name = ?)", values: [key, key] };
}

/** Past this many values, one sort of the matching rows is cheaper than merging the arms. */
const MAX_ARMS = 64;

/**
 * The driving values for a filter (see `selectPage`), or undefined when one index range already
 * serves it in order. An empty list means nothing can match.
 */
export function drivingValues(db: Database, filter: AuditFilter): DrivingValues | undefined {
  if (filter.key !== undefined || filter.tenant !== undefined) {
    const where: string[] = [];
    const params: SQLQueryBindings[] = [];
    if (filter.key !== undefined) {
      const { clause, values } = principalsOfKey(filter.key);
      where.push(clause);
      params.push(...values);
    }
    if (filter.tenant !== undefined) {
      where.push("tenant = ?");
      params.push(filter.tenant);
    }
    const ids = db
      .query<{ id: number }, SQLQueryBindings[]>(
        `SELECT id FROM audit_principals WHERE ${where.join(" AND ")} LIMIT ?`,
      )
      .all(...params, MAX_ARMS + 1)
      .map((row) => row.id);
    return ids.length <= MAX_ARMS ? { column: "principal_id", values: ids } : undefined;
  }
  // The 2xx are nearly all 200s, in no status index: the time index serves them in order.
  if (typeof filter.status === "string" && excludesOk(filter.status)) {
    // The statuses of the class present in the log, one index seek each (a skip scan).
    const [low, high] = STATUS_CLASS_BOUNDS[filter.status];
    const next = db.query<{ s: number | null }, [number, number]>(NEXT_STATUS);
    const values: number[] = [];
    for (
      let row = next.get(low - 1, high);
      row?.s != null && values.length <= MAX_ARMS;
      row = next.get(row.s, high)
    )
      values.push(row.s);
    return values.length <= MAX_ARMS ? { column: "status", values } : undefined;
  }
  return undefined;
}

/** A row as its record: its attempts as written, or its sole attempt, kept as its duration alone. */
export const rowToRecord = (row: AuditRow): AuditRecord =>
  toAuditRecord(
    row,
    row.attempt_ms === null
      ? decodeAttempts(row.attempts)
      : soleAttempt(row.route, row.upstream_model, row.attempt_ms),
  );
