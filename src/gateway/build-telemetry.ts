import type { AuditService } from "../audit/audit-service.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import type { Policy } from "../auth/policy.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { Config } from "../config/config-schema.ts";
import type { SinkDrops } from "../events/sink-drops.ts";
import type { Lifecycle } from "../http/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { ShadowRunner } from "../shadow/shadow-runner.ts";
import { gatewaySources } from "../telemetry/gateway-sources.ts";
import { createTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { GatewayOptions } from "./gateway-options.ts";
import type { RuntimeHolder } from "./runtime.ts";

/** Logs, metrics and traces over the gateway's parts, read as each config version has them. */
export function buildTelemetry(parts: {
  options: Pick<GatewayOptions, "tracing" | "redactBody">;
  /** The config the gateway starts with. */
  config: Config;
  runtime: RuntimeHolder;
  logger: Logger;
  audit: AuditService;
  lifecycle: Lifecycle;
  health: RouteHealth;
  registry: WorkerRegistry;
  policy: Policy;
  shadow: ShadowRunner;
  cluster: Cluster | null;
  /** The config's event sinks' drops (`events:`; restart-only, so its sinks are the start's). */
  sinkDrops: SinkDrops;
}): Telemetry {
  const { options, runtime, audit, cluster } = parts;
  return createTelemetry({
    config: parts.config,
    logger: parts.logger,
    bus: audit.bus,
    sources: gatewaySources({
      lifecycle: parts.lifecycle,
      health: parts.health,
      registry: parts.registry,
      audit,
      config: () => runtime.current.config,
      tenants: () => runtime.current.config.tenants,
      policy: parts.policy,
      logger: parts.logger,
      configVersion: () => runtime.current.version,
      shadow: parts.shadow.counts,
      ...(cluster ? { cluster: () => cluster.health() } : {}),
      // Its family printed only where a sink is configured: no sink, no series to print.
      ...(parts.sinkDrops.read().length > 0 ? { eventSinkDrops: () => parts.sinkDrops.read() } : {}),
    }),
    routedAs: (model) => runtime.current.table.routedAs(model),
    onAuditFlush: (listener) => audit.onFlush(listener),
    tracer: options.tracing?.tracer,
    // Prompts and answers on spans go through the audit bodies' redaction, the embedder's included.
    ...(options.tracing?.captureContent ? { content: options.redactBody ?? redactSecrets } : {}),
    accessLines: audit.lines,
  });
}
