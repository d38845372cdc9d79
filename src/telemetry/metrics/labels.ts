import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayError } from "../../core/gateway-error.ts";

/**
 * Label values are bounded by config: a route label is its provider's config name (every
 * connected worker counts as `workers`, since worker names are chosen by the workers), and a
 * model the config does not route is `other`. No key, request or worker id is ever a label.
 */
export function providerOf(route: string | null): string {
  if (route === null) return "none";
  if (route.startsWith("worker:")) return "workers";
  return route.startsWith("provider:") ? route.slice("provider:".length) : route;
}

/** The classes as strings made once (this runs per request). */
const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

export const statusClass = (status: number): string =>
  STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;

/** Which limit refused a 429: `budget`, `tokens` (tpm) or `requests` (rpm); null when none did. */
export function refusalKind(record: AuditRecord, error: GatewayError | undefined): string | null {
  if (record.status !== 429) return null;
  if (record.errorClass === "budget_exceeded") return "budget";
  if (record.errorClass !== "rate_limited") return "upstream";
  // The limiter answers with the x-ratelimit-* headers of the moment: the exhausted one reads 0.
  return error?.headers["x-ratelimit-remaining-tokens"] === "0" ? "tokens" : "requests";
}
