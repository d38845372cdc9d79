import type { AuditService } from "../audit/audit-service.ts";
import type { Lifecycle } from "../http/lifecycle.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { MetricSources } from "./metrics/gateway-metrics.ts";

/** The gateway's parts, read by metrics at scrape time (never on the request path). */
export function gatewaySources(parts: {
  lifecycle: Lifecycle;
  health: RouteHealth;
  registry: WorkerRegistry;
  audit: AuditService;
  tenants: MetricSources["tenants"];
  cluster?: MetricSources["cluster"];
  configVersion?: MetricSources["configVersion"];
  shadowShed?: MetricSources["shadowShed"];
}): MetricSources {
  return {
    inFlight: () => parts.lifecycle.active,
    breakers: () =>
      parts.health.breakers().map(({ key, state }) => {
        // Route keys are `provider/model`; provider names never contain a slash.
        const slash = key.indexOf("/");
        return { provider: key.slice(0, slash), upstreamModel: key.slice(slash + 1), state };
      }),
    workers: () => parts.registry.list(),
    audit: () => parts.audit.stats(),
    tenants: parts.tenants,
    ...(parts.cluster ? { cluster: parts.cluster } : {}),
    ...(parts.configVersion ? { configVersion: parts.configVersion } : {}),
    ...(parts.shadowShed ? { shadowShed: parts.shadowShed } : {}),
  };
}
