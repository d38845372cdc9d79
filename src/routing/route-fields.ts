import type { LogFields } from "../log/logger.ts";

/** A route key (`provider/model`; provider names never contain a slash) as the breaker gauge labels it. */
export function routeFields(key: string): LogFields {
  const slash = key.indexOf("/");
  return { provider: key.slice(0, slash), upstream_model: key.slice(slash + 1) };
}
