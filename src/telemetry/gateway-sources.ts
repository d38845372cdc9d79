import type { AuditService } from "../audit/audit-service.ts";
import type { Policy } from "../auth/policy.ts";
import type { Config } from "../config/config-schema.ts";
import type { Lifecycle } from "../http/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { breakerSeries } from "./metrics/breaker-series.ts";
import type { MetricSources } from "./metrics/gateway-metrics.ts";
import type { ConfiguredLabels, WorkerLoad } from "./metrics/metric-sources.ts";
import { policyTenantSpend } from "./policy-tenant-spend.ts";

/** The gateway's parts, read by metrics at scrape time (never on the request path). */
export function gatewaySources(parts: {
  lifecycle: Lifecycle;
  health: RouteHealth;
  registry: WorkerRegistry;
  audit: AuditService;
  /** The config in force: which breakers are a `*` route's, shown as one series. */
  config: () => Config;
  tenants: MetricSources["tenants"];
  /** The limits policy: a tenant's spend as its budget reads it, where the policy says it. */
  policy: Policy;
  /** Where a scrape's failed read of the policy is told (policy-tenant-spend.ts). */
  logger: Logger;
  cluster?: MetricSources["cluster"];
  configVersion?: MetricSources["configVersion"];
  shadow?: MetricSources["shadow"];
  eventSinkDrops?: MetricSources["eventSinkDrops"];
}): MetricSources {
  return {
    inFlight: () => parts.lifecycle.active,
    eventStreams: () => parts.lifecycle.eventStreamsOpen,
    breakers: () => breakerSeries(parts.health.breakers(), parts.config()),
    workers: () => workerLoads(parts.registry),
    audit: () => parts.audit.stats(),
    eventListenerErrors: () => parts.audit.bus.faults.total,
    tenants: parts.tenants,
    ...policyTenantSpend(parts.policy, parts.logger),
    ...(parts.cluster ? { cluster: parts.cluster } : {}),
    ...(parts.configVersion ? { configVersion: parts.configVersion } : {}),
    ...(parts.shadow ? { shadow: parts.shadow } : {}),
    ...(parts.eventSinkDrops ? { eventSinkDrops: parts.eventSinkDrops } : {}),
    configured: () => configuredLabels(parts.config()),
  };
}

/**
 * The label values `config` bounds: its models' names and aliases, their routes' and shadows'
 * providers, its tenants, its providers, and the providers its tenants' and apps' shadows copy to.
 */
export function configuredLabels(config: Config): ConfiguredLabels {
  return {
    models: config.models.map((entry) => ({
      model: entry.name,
      aliases: entry.aliases,
      providers: [...new Set(entry.routes.map((route) => route.provider))],
      shadowProvider: entry.shadow?.provider,
    })),
    tenants: config.tenants.map((tenant) => tenant.name),
    providers: config.providers.map((provider) => provider.name),
    shadowProviders: [...config.tenants, ...config.apps].flatMap(({ shadow }) =>
      shadow ? [shadow.provider] : [],
    ),
  };
}

/** The connected workers, each out of rotation with when it comes back (worker-ejection.ts). */
function workerLoads(registry: WorkerRegistry): WorkerLoad[] {
  return registry.list().map((summary) => {
    const worker = registry.get(summary.name);
    const ejectedUntil = worker === undefined ? undefined : registry.ejectedUntil(worker);
    return ejectedUntil === undefined ? summary : { ...summary, ejectedUntil };
  });
}
