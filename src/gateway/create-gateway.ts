import { createAuditService } from "../audit/audit-service.ts";
import { RequestStats } from "../audit/request-stats.ts";
import type { Config } from "../config/config-schema.ts";
import { describeError } from "../core/describe-error.ts";
import { steadyClock } from "../core/steady-clock.ts";
import { attachSinks } from "../events/attach-sinks.ts";
import { sinksFromConfig } from "../events/config-sinks.ts";
import { embedderSinks } from "../events/named-sink.ts";
import { SinkDrops } from "../events/sink-drops.ts";
import { ClientSlots } from "../http/client-slots.ts";
import { createFrontDoor, type FrontDoorDeps } from "../http/front-door.ts";
import { InFlightResponses } from "../http/in-flight-responses.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import { RequestEnds } from "../http/request-ends.ts";
import { readsRetryable } from "../http/response-store-reads.ts";
import { Shutdown } from "../http/shutdown.ts";
import { loadCatalogueFor } from "../pricing/catalogue-on-demand.ts";
import { createProvider } from "../providers/create-provider.ts";
import { closeUpstreamFetch, createUpstreamFetch } from "../providers/http/upstream-fetch.ts";
import { RouteHealth } from "../routing/route-health.ts";
import { openStorage } from "../storage/open-storage.ts";
import { loadTraceState } from "../telemetry/tracing/trace-context.ts";
import { CallerHolds } from "../tenants/caller-holds.ts";
import { unlistedTenantsWarning } from "../tenants/unlisted-tenants-warning.ts";
import { shadowedModels } from "../workers/gateway/shadowed-models.ts";
import { createReloadPolicy } from "./apply-reload.ts";
import { buildAdminUi } from "./build-admin-ui.ts";
import { buildAuth } from "./build-auth.ts";
import { buildLimitsPolicy } from "./build-policy.ts";
import { buildShadow, observeShadow } from "./build-shadow.ts";
import { buildTelemetry } from "./build-telemetry.ts";
import { buildWorkers, probeListed } from "./build-workers.ts";
import { BuiltSoFar } from "./built-so-far.ts";
import { clusterStarter } from "./cluster-starter.ts";
import { embedderPlugins } from "./embedder-plugins.ts";
import { gatewayApp } from "./gateway-app.ts";
import type { BuiltGateway, GatewayOptions } from "./gateway-options.ts";
import { auditSpillOf, configSourceOf, loggerOf } from "./option-defaults.ts";
import { policyReconfigure } from "./policy-reconfigure.ts";
import { requestAudit } from "./request-audit.ts";
import { RuntimeHolder } from "./runtime.ts";
import { sealSecretOf } from "./seal-secret-of.ts";
import { serveGateway } from "./serve-gateway.ts";
import { startBackfill } from "./start-backfill.ts";
import { startRetention } from "./start-retention.ts";
import { giveUpBy } from "./stop-steps.ts";
import { watchConfig } from "./watch-config.ts";

export type { BuiltGateway, Gateway, GatewayOptions } from "./gateway-options.ts";

const breakerPolicy = (config: Config) => ({
  failures: config.routing.circuit_breaker.failures,
  cooldownMs: config.routing.circuit_breaker.cooldown,
});

/**
 * The composition root: one code path for `mindgw serve`, the tests and embedders. It wires the
 * parts (each passed in, or the built-in default) and decides nothing itself: handlers live with
 * their routes, the HTTP app's assembly in gateway-app.ts, reload policy in apply-reload.ts, each
 * part's assembly in its build-* factory.
 */
export async function createGateway(options: GatewayOptions): Promise<BuiltGateway> {
  const built = new BuiltSoFar();
  try {
    return await buildGateway(options, built);
  } catch (error) {
    // What was made before the failure is closed (its files, threads, connections), as stop would.
    await built.undo();
    throw error;
  }
}

async function buildGateway(options: GatewayOptions, built: BuiltSoFar): Promise<BuiltGateway> {
  const source = configSourceOf(options);
  const config = source.initial;
  const logger = loggerOf(options, config);
  built.stopsWith(logger, config.server.drain_timeout);
  // Its pluginTimeoutMs refused before anything is opened.
  const plugins = embedderPlugins(options, logger);
  // Route tables and price books read it synchronously, answers' prices on the request path.
  await loadCatalogueFor(config.providers);
  // An embedder's tracer continues a client's trace, its trace state read as the SDK reads it.
  if (options.tracing) await loadTraceState();
  // Before anything is opened: a spill folder that cannot be made refuses the start.
  const spill = auditSpillOf(options, config);
  const storage = options.storage ?? (await openStorage(config.storage, config.server.idle_timeout));
  built.made("storage", () => storage.close());
  const sealSecret = await sealSecretOf(config, storage);
  const audit = createAuditService(config, storage.audit, logger, options.redactBody, spill);
  built.made("the audit", (until) => audit.close(until), { keepsTime: true });
  const publish = audit.bus.publish.bind(audit.bus);
  const sinkDrops = new SinkDrops();
  const closeSinks = attachSinks(audit.bus, [
    ...sinksFromConfig(config, logger, sinkDrops),
    ...embedderSinks(options.events),
  ]);
  built.made("event sinks", (until) => closeSinks(giveUpBy(until)));
  // The routes' breakers, before the workers: a worker newly serving a model half-opens its route's.
  const health = new RouteHealth(breakerPolicy(config), steadyClock, logger);
  const workers = buildWorkers(
    config,
    logger,
    publish,
    // A worker's models that the config routes elsewhere, by the config version current when asked.
    (worker) => shadowedModels(runtime.current.table, worker),
    health,
  );
  // Closed by us, each worker is told the gateway is stopping; cut by the listener, it was "lost".
  built.made("workers", () => workers.registry.close());
  const lifecycle = new Lifecycle(
    () => runtime.current.config.server.max_concurrent_requests,
    () => runtime.current.config.server.max_event_streams,
  );
  // One upstream client for providers, shadow copies and cluster forwards (no hidden cap on any).
  const upstreamFetch = createUpstreamFetch({ inFlight: () => lifecycle.active });
  // After the drain: no request is left to make an upstream call on the lean client's thread.
  built.made("the upstream client", () => closeUpstreamFetch(upstreamFetch));
  const shutdown = new Shutdown();
  const cluster = await clusterStarter(config)(config, {
    logger,
    // Read only by a node of a cluster: no other start reads (or writes) it.
    clusterId: config.cluster ? await storage.clusterId?.() : undefined,
    registry: workers.registry,
    bus: audit.bus,
    instance: audit.instance,
    queuedWritten: () => audit.queuedWritten(),
    lifecycle,
    shutdown,
    fetch: upstreamFetch,
    newlyServed: probeListed(health),
  });
  built.made("the cluster", () => cluster?.close());
  // This node's workers published as draining first, so other nodes stop forwarding here while it
  // drains and refuse their models as draining (publishing stops at `close`).
  built.made("publishing this node's workers as draining", () => void cluster?.beginDrain());
  const auth = await buildAuth(config, storage.keys, logger, {
    ...(plugins.authenticator ? { authenticate: plugins.authenticator.authenticate } : {}),
    ...(options.onBootstrapKey ? { onBootstrapKey: options.onBootstrapKey } : {}),
    ...(cluster ? { onKeyChange: (id: string) => cluster.announceKeyChange(id) } : {}),
    tenants: () => runtime.current.config.tenants.map((t) => t.name),
  });
  // Named with what its close writes: a failed "auth" read as if signing in had failed.
  built.made("auth", () => auth.close(), { named: "auth (the keys' last-used write)" });
  cluster?.onKeyChange(() => void auth.refreshKeys());
  const policy =
    options.policy ?? (await buildLimitsPolicy(config, storage.spend, logger, cluster?.counters));
  // Named as whose it is: an embedder's policy's close was told as the built-in's spend flush.
  const policyPart = options.policy ? "the embedder's policy" : "the limits policy (spend flush)";
  built.made("the policy", () => policy.close?.(), { named: policyPart });
  const shadow = buildShadow(
    () => runtime.current.config,
    () => runtime.current.table,
    storage.shadow,
    logger,
    options.redactBody,
  );
  built.made("shadow comparisons", () => shadow.close());
  // On a cluster node, workers on other nodes too (forwarded through the node holding each).
  const workerDirectory = cluster ? cluster.workers(workers.directory) : workers.directory;
  const runtime = new RuntimeHolder(config, {
    providers: options.providers ?? options.providerFactory ?? createProvider,
    workers: workerDirectory,
    upstreamFetch,
    health,
    authenticatorFor: auth.authenticatorFor,
    credentialIssuer: plugins.credentialIssuer,
    policy,
    router: {
      log: (message, fields) => logger.warn(message, fields),
      shadow: shadow.hook,
      mayShadow: shadow.mayCopy,
    },
    // The listener's (restart-only), not each version's.
    idleTimeoutMs: config.server.idle_timeout,
  });
  built.made("providers", () => runtime.close());
  const adminUi = buildAdminUi({
    runtime,
    auth,
    credentialIssuer: plugins.credentialIssuer,
    storage,
    sealSecret,
    logger,
  });
  const stats = new RequestStats();
  void stats.follow(audit.bus);
  const telemetry = buildTelemetry({
    options,
    config,
    runtime,
    logger,
    audit,
    lifecycle,
    health,
    registry: workers.registry,
    policy,
    shadow,
    cluster,
    sinkDrops,
  });
  built.made("telemetry", () => telemetry.close());

  // Requests' ends are reported once the turn's responses are written (request-ends.ts).
  const ends = new RequestEnds((error) =>
    logger.error("reporting a request's end failed", { error: describeError(error) }),
  );
  // The ends still queued are reported before anything they write to closes.
  built.made("reporting request ends", () => ends.flush());
  // Live event streams never end on their own: closed before the drain, so it is not held up and
  // `mindgw tail` reconnects to the gateway's successor at once.
  built.made("live event streams", () => audit.bus.closeAll());
  const holds = new CallerHolds();
  const frontDoorDeps: FrontDoorDeps = {
    runtime: () => runtime.current,
    authenticate: adminUi.authenticate,
    knownCaller: auth.knownCaller,
    observer: observeShadow(shadow, telemetry.observe(requestAudit(audit, options.recordAudit))),
    ends,
    lifecycle,
    shutdown,
    clientSlots: new ClientSlots(),
    logger,
    refusal: () => audit.refusal(),
    // A read that fails is a 503 to retry (response-store-reads.ts), not a 500.
    responses: readsRetryable(storage.responses),
    // Read `in_progress` while this node answers them, before their row is written.
    inFlight: new InFlightResponses(),
    sessions: auth.sessions,
    holds,
    pluginBounds: plugins.bounds,
  };
  const frontDoor = createFrontDoor(frontDoorDeps);
  const tenantKeys = unlistedTenantsWarning(config, storage.keys, logger, plugins.credentialIssuer);
  // Bounded by the stop's deadline itself: a count still running then is let go, not a failure.
  built.made("counting unlisted tenants' keys", (until) => tenantKeys.stop(until), { keepsTime: true });
  const reload = createReloadPolicy({
    runtime,
    // A policy without per-version views (an embedder's) follows each config in place.
    adopt: policy.forConfig ? [] : [policyReconfigure(policy, logger)],
    applied: [
      adminUi.configChanged,
      () => holds.configChanged(runtime.current.bindCaller),
      (next) => audit.reconfigure(next),
      tenantKeys.applied,
      ...(cluster ? [(next: Config, version: number) => cluster.configApplied(next, version)] : []),
    ],
    logger,
    publish,
  });

  const app = gatewayApp({
    frontDoor,
    frontDoorDeps,
    workers,
    workerDirectory,
    telemetry,
    admin: {
      config,
      runtime,
      auth,
      adminUi,
      stats,
      health,
      configPath: source.path,
      sealSecret,
      registry: workers.registry,
      storage,
      shadowCounts: shadow.counts,
      audit,
      lifecycle,
      reload,
      cluster,
      spendLedger: options.policy === undefined,
      holds,
    },
  });

  const retention = startRetention(storage, config, logger);
  built.made("stored responses' retention", retention.responses);
  built.made("shadow pairs' retention", retention.shadowPairs);
  built.made("the container record's retention", retention.containers);

  built.made("the config watch", watchConfig(source, reload));
  // Another node changed its config: re-read ours now rather than when our own watch notices.
  cluster?.onConfigNotice(() => void source.reload?.());
  // Every part made, stopped in the order a failed start's undo stops them (stop-order.ts). Read
  // here, before the key and the backfill: a part never made fails the start before either.
  const stopSteps = built.stopSteps();

  // Once every part is built: a start that fails before it has used up no key's only showing.
  if (options.bootstrapAdmin !== "on-call") await auth.bootstrapAdmin();

  // Started once nothing is left to fail (start-backfill.ts).
  startBackfill(storage, logger);
  // Keys of a tenant the config does not list (renamed while the gateway was stopped) are refused:
  // said once the gateway is up, off its start's path (never with an embedder's authenticator,
  // which such a tenant's callers are not refused under).
  void tenantKeys.started();

  return serveGateway({
    app,
    shutdown,
    reload: () => source.reload?.() ?? Promise.resolve(false),
    lastReloadError: reload.lastError,
    restartRequired: reload.restartRequired,
    bootstrapAdmin: auth.bootstrapAdmin,
    runtime,
    storage,
    lifecycle,
    logger,
    ...stopSteps,
  });
}
