/**
 * The operator's reads served while all other traffic is refused because audit storage is down
 * (without `audit.fail_open`): `GET /metrics`, where the audit alerts read the queue's depth and the
 * rows dropped, and `GET /admin/api/status` and `/admin/api/workers`. Refused too, they went dark
 * exactly when those alerts should fire. Their own audit rows are queued like any other
 * (audit-writer.ts: kept up to its bound, then dropped and counted).
 */
const PATHS: ReadonlySet<string> = new Set(["/metrics", "/admin/api/status", "/admin/api/workers"]);

/** Whether a request is one of those reads; asked only while traffic is refused. */
export const isMonitoringRead = (request: Request): boolean =>
  request.method === "GET" && PATHS.has(new URL(request.url).pathname);
