import type { Config } from "./config-schema.ts";

/**
 * Config fields read once at start: the listener, storage, logging, the parts wired at start
 * (the worker endpoint and its frame bound, event sinks, apps, the audit writer's schedule,
 * retention and `fail_open`, the cluster with its Redis link, node name and peers) and key
 * bootstrap. An edit to one is accepted with the rest of the file but takes effect only at the
 * next start; the reload says so ("restart required") instead of reporting it applied.
 * Everything else (routes, providers, models, routing, limits, prices, tenants, translation,
 * shadow sampling, `auth.jwt`, `workers.allowed_origins`, `audit.bodies` and `audit.max_queue_bytes`
 * (the running queue is held to it from the next row), `server.max_body` and the other
 * per-request bounds, and `admin_ui`: the page, sign-in, `session_ttl`, `session_idle_timeout` and single sign-on read
 * the current config, a changed `oidc` starting a new discovery) applies to the next request or
 * worker connection. Dotted prefixes: `log` covers every field under it.
 */
export const RESTART_ONLY = [
  "server.host",
  "server.port",
  "server.idle_timeout",
  "log",
  "metrics",
  "storage",
  "auth.bootstrap_admin",
  "events",
  "apps",
  "audit.retention",
  "audit.flush_ms",
  "audit.fail_open",
  "shadow.retention",
  "workers.enabled",
  "workers.heartbeat_timeout",
  "workers.max_message",
  "cluster",
] as const;

const at = (config: Config, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);

/** The restart-only fields whose value differs between two configs. */
export function restartRequired(previous: Config, next: Config): string[] {
  return RESTART_ONLY.filter((path) => JSON.stringify(at(previous, path)) !== JSON.stringify(at(next, path)));
}
