import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import type { GatewayError, GatewayLimit } from "../../core/gateway-error.ts";

/**
 * Label values are bounded by config: a route label is its provider's config name (every
 * connected worker counts as `workers`, since worker names are chosen by the workers), and a
 * model the config does not route is `other` (modelLabeller). No key, request or worker id is
 * ever a label.
 */
export function providerOf(route: string | null): string {
  if (route === null) return "none";
  if (route.startsWith("worker:")) return "workers";
  return route.startsWith("provider:") ? route.slice("provider:".length) : route;
}

/**
 * The `model` label: the config's name for a client's model name (`RouteTable.routedAs`: the name
 * or alias itself, the glob it matched, or `workers` for a model only workers serve), else `other`.
 * A client's made-up `claude-<anything>` under a `claude-*` entry is `claude-*`: it mints no series.
 */
export const modelLabeller =
  (routedAs: (model: string) => string | undefined) =>
  (model: string | null): string =>
    (model === null ? undefined : routedAs(model)) ?? "other";

/** The classes as strings made once (this runs per request). */
const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

export const statusClass = (status: number): string =>
  STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;

/** The `kind` label of `mindgw_rate_limit_refusals_total`: the gateway's own limits, and an upstream's 429. */
export const REFUSAL_KINDS = ["requests", "tokens", "budget", "upstream"] as const satisfies readonly (
  | GatewayLimit
  | "upstream"
)[];
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

/**
 * Which limit refused a 429: the gateway's own names itself on its error (`requests`, `tokens`,
 * `budget`); any other 429 is an upstream's, relayed. Null for any other status.
 */
export function refusalKind(record: AuditRecord, error: GatewayError | undefined): RefusalKind | null {
  if (record.status !== 429) return null;
  return error?.refusedBy ?? "upstream";
}

/**
 * The front doors that call a model, whose 5xx answers the error-rate alert counts (the
 * `front_door=~` of MindgwHighErrorRate): each configured model's 5xx series start at 0 on them.
 */
export const MODEL_CALL_FRONT_DOORS = [
  "chat",
  "completions",
  "embeddings",
  "responses",
  "messages",
  "count_tokens",
] as const satisfies readonly FrontDoor[];
