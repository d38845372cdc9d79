import { createAuditService } from "../audit/audit-service.ts";
import { withoutBodies } from "../audit/published-record.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import { RequestStats } from "../audit/request-stats.ts";
import type { startCluster } from "../cluster/start-cluster.ts";
import type { Config } from "../config/config-schema.ts";
import { type ConfigSource, fileConfigSource, staticConfigSource } from "../config/config-source.ts";
import { describeError } from "../core/describe-error.ts";
import { attachSinks } from "../events/attach-sinks.ts";
import { sinksFromConfig } from "../events/config-sinks.ts";
import { createAdminUi } from "../http/admin-ui/admin-ui.ts";
import { BoundAuthenticator } from "../http/bound-authenticator.ts";
import { ClientSlots } from "../http/client-slots.ts";
import { createFrontDoor, type FrontDoorDeps } from "../http/front-door.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import { pluginBound, pluginTimeoutMs } from "../http/plugin-bound.ts";
import { RequestEnds } from "../http/request-ends.ts";
import { readsRetryable } from "../http/response-store-reads.ts";
import { Shutdown } from "../http/shutdown.ts";
import { guardedLogger } from "../log/guarded-logger.ts";
import { createLogger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import { loadCatalogueFor } from "../pricing/catalogue-on-demand.ts";
import { createProvider } from "../providers/create-provider.ts";
import { closeUpstreamFetch, createUpstreamFetch } from "../providers/http/upstream-fetch.ts";

import { RouteHealth } from "../routing/route-health.ts";
import { openStorage } from "../storage/open-storage.ts";
import { startResponseRetention } from "../storage/response-retention.ts";
import { gatewaySources } from "../telemetry/gateway-sources.ts";
import { createTelemetry } from "../telemetry/telemetry.ts";
import { loadTraceState } from "../telemetry/tracing/trace-context.ts";
import { tenantUnconfigured } from "../tenants/bind-tenant.ts";
import { removedTenantsWarning } from "../tenants/removed-tenants-warning.ts";
import { shadowedModels } from "../workers/gateway/shadowed-models.ts";
import { createReloadPolicy } from "./apply-reload.ts";
import { buildAuth } from "./build-auth.ts";
import { buildLimitsPolicy } from "./build-policy.ts";
import { buildShadow, observeShadow } from "./build-shadow.ts";
import { buildWorkers, probeListed } from "./build-workers.ts";
import { BuiltSoFar } from "./built-so-far.ts";
import { gatewayApp } from "./gateway-app.ts";
import type { Gateway, GatewayOptions } from "./gateway-options.ts";
import { RuntimeHolder } from "./runtime.ts";
import { serveGateway } from "./serve-gateway.ts";

export type { Gateway, GatewayOptions } from "./gateway-options.ts";

const breakerPolicy = (config: Config) => ({
  failures: config.routing.circuit_breaker.failures,
  cooldownMs: config.routing.circuit_breaker.cooldown,
});

function configSourceOf(options: GatewayOptions): ConfigSource {
  if (options.configSource) return options.configSource;
  return options.configPath
    ? fileConfigSource(options.configPath, options.config)
    : staticConfigSource(options.config);
}

/**
 * The cluster's code, loaded only on a node that is one (`cluster:` set): a single node never
 * evaluates the directory, the peer links and the forwarding, nor holds their schemas.
 */
function clusterStarter(config: Config): typeof startCluster {
  if (!config.cluster) return async () => null;
  return (require("../cluster/start-cluster.ts") as typeof import("../cluster/start-cluster.ts"))
    .startCluster;
}

/**
 * The composition root: one code path for `mindgw serve`, the tests and embedders. It wires the
 * parts (each passed in, or the built-in default) and decides nothing itself: handlers live with
 * their routes, the HTTP app's assembly in gateway-app.ts, reload policy in apply-reload.ts, each
 * part's assembly in its build-* factory.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const built = new BuiltSoFar();
  try {
    return await buildGateway(options, built);
  } catch (error) {
    // What was made before the failure is closed (its files, threads, connections), as stop would.
    await built.undo();
    throw error;
  }
}

async function buildGateway(options: GatewayOptions, built: BuiltSoFar): Promise<Gateway> {
  const source = configSourceOf(options);
  const config = source.initial;
  // A logger handed in is called through a guard (no log call can throw into the gateway), but one
  // createLogger made for stderr, as `mindgw serve` hands its own: its writes never throw.
  const logger = options.logger ? guardedLogger(options.logger) : createLogger(config.log);
  built.stopsWith(logger, config.server.drain_timeout);
  // How long an embedder's per-request plug-in calls may take (the built-in ones are never timed):
  // a pluginTimeoutMs of 0, below or not a finite number is refused before anything is opened.
  const pluginMs = pluginTimeoutMs(options.pluginTimeoutMs);
  // Route tables and price books read it synchronously, answers' prices on the request path.
  await loadCatalogueFor(config.providers);
  // An embedder's tracer continues a client's trace, its trace state read as the SDK reads it.
  if (options.tracing) await loadTraceState();
  const storage = options.storage ?? (await openStorage(config.storage, config.server.idle_timeout));
  built.made("storage", () => storage.close());
  // An embedder's own storage gets no file beside the config's SQLite path, which it never used.
  const spill =
    options.storage || options.auditSpillDir !== undefined
      ? { ...(options.auditSpillDir === undefined ? {} : { dir: options.auditSpillDir }) }
      : { beside: config.storage };
  const audit = createAuditService(config, storage.audit, logger, options.redactBody, spill);
  built.made("the audit", (until) => audit.close(until), { keepsTime: true });
  const publish = audit.bus.publish.bind(audit.bus);
  const closeSinks = attachSinks(
    audit.bus,
    [...sinksFromConfig(config, logger), ...(options.events ?? [])],
    repeatedFailure(logger, "an event sink's publish"),
  );
  built.made("event sinks", closeSinks);
  // The routes' breakers, before the workers: a worker newly serving a model half-opens its route's.
  const health = new RouteHealth(breakerPolicy(config), Date.now, logger);
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
    lifecycle,
    shutdown,
    fetch: upstreamFetch,
    newlyServed: probeListed(health),
  });
  built.made("the cluster", () => cluster?.close());
  // This node's workers published as draining first, so other nodes stop forwarding here while it
  // drains and refuse their models as draining (publishing stops at `close`).
  built.made("publishing this node's workers as draining", () => void cluster?.beginDrain());
  const embedderAuth = options.auth ?? options.authenticate;
  const credentialIssuer = embedderAuth ? "embedder" : "gateway";
  // Bound on its own: the gateway's parts composed around it (key chains, web sessions) are not.
  const boundAuth =
    embedderAuth &&
    new BoundAuthenticator(embedderAuth, pluginBound("the embedder's authenticator", pluginMs, logger));
  const auth = await buildAuth(config, storage.keys, logger, {
    ...(boundAuth ? { authenticate: boundAuth.authenticate } : {}),
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
    credentialIssuer,
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
  const adminUi = createAdminUi({
    config: () => runtime.current.config.admin_ui,
    // An embedder's authenticator decides its callers itself, their tenants included (an unlisted
    // one is served, held to its tenant's name): their sessions are not re-checked.
    ...(embedderAuth
      ? {}
      : {
          jwt: {
            current: () => ({ version: runtime.current.version, config: runtime.current.config.auth.jwt }),
            keyHeld: auth.jwtKeyHeld,
          },
          tenantServed: (tenant: string) => !tenantUnconfigured(runtime.current.config, tenant),
        }),
    ...(credentialIssuer === "embedder"
      ? { credentialIssuer, keyStands: auth.keyStands }
      : { credentialIssuer: "gateway" as const }),
    keys: storage.keys,
    ...(storage.adminActions ? { actions: storage.adminActions } : {}),
    ...(storage.adminSessions ? { sessions: storage.adminSessions } : {}),
    ...(config.cluster ? { sharedSecret: config.cluster.secret } : {}),
    live: auth.sessions,
    logger,
  });
  const stats = new RequestStats();
  void stats.follow(audit.bus);
  const telemetry = createTelemetry({
    config,
    logger,
    bus: audit.bus,
    sources: gatewaySources({
      lifecycle,
      health,
      registry: workers.registry,
      audit,
      config: () => runtime.current.config,
      tenants: () => runtime.current.config.tenants,
      policy,
      configVersion: () => runtime.current.version,
      shadow: shadow.counts,
      ...(cluster ? { cluster: () => cluster.health() } : {}),
    }),
    routedAs: (model) => runtime.current.table.routedAs(model),
    onAuditFlush: (listener) => audit.onFlush(listener),
    tracer: options.tracing?.tracer,
    // Prompts and answers on spans go through the audit bodies' redaction, the embedder's included.
    ...(options.tracing?.captureContent ? { content: options.redactBody ?? redactSecrets } : {}),
    accessLines: audit.lines,
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
  const frontDoorDeps: FrontDoorDeps = {
    runtime: () => runtime.current,
    authenticate: adminUi.authenticate,
    knownCaller: auth.knownCaller,
    observer: observeShadow(
      shadow,
      telemetry.observe(
        options.recordAudit === false
          ? {
              started: audit.observer.started,
              finished: (record) =>
                publish({ type: "request.finished", at: Date.now(), record: withoutBodies(record) }),
            }
          : audit.observer,
      ),
    ),
    ends,
    lifecycle,
    shutdown,
    clientSlots: new ClientSlots(),
    logger,
    refusal: () => audit.refusal(),
    // A read that fails is a 503 to retry (response-store-reads.ts), not a 500.
    responses: readsRetryable(storage.responses),
    sessions: auth.sessions,
    pluginBounds: {
      ...(options.policy ? { admit: pluginBound("the embedder's policy (admit)", pluginMs, logger) } : {}),
      ...(boundAuth ? { authenticate: boundAuth } : {}),
    },
  };
  const frontDoor = createFrontDoor(frontDoorDeps);
  const reload = createReloadPolicy({
    runtime,
    // A policy without per-version views (an embedder's) follows each config in place.
    adopt: policy.forConfig ? [] : [(next) => policy.reconfigure?.(next)],
    applied: [
      adminUi.configChanged,
      (next) => audit.reconfigure(next),
      removedTenantsWarning(config, storage.keys, logger),
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
      registry: workers.registry,
      storage,
      shadowCounts: shadow.counts,
      audit,
      lifecycle,
      reload,
      cluster,
      spendLedger: options.policy === undefined,
    },
  });

  const stopResponseRetention = startResponseRetention(
    storage.responses,
    config.storage.responses_retention,
    (error) =>
      logger.warn(`pruning stored responses failed: ${error instanceof Error ? error.message : "error"}`),
  );
  built.made("stored responses' retention", stopResponseRetention);
  const shadowStore = storage.shadow;
  const stopShadowRetention = shadowStore
    ? startResponseRetention(shadowStore, config.shadow.retention, (error) =>
        logger.warn(`pruning shadow pairs failed: ${error instanceof Error ? error.message : "error"}`),
      )
    : () => {};
  built.made("shadow pairs' retention", stopShadowRetention);

  const stopWatching = source.watch(reload);
  // What waits its turn behind a load is dropped too: never applied after the stop, its providers
  // never made to be left open.
  built.made("the config watch", () => {
    stopWatching();
    reload.stop();
  });
  // Another node changed its config: re-read ours now rather than when our own watch notices.
  cluster?.onConfigNotice(() => void source.reload?.());
  // Every part made, stopped in the order a failed start's undo stops them (stop-order.ts). Read
  // here, before the key and the backfill: a part never made fails the start before either.
  const stopSteps = built.stopSteps();

  // Once every part is built: a start that fails before it has used up no key's only showing.
  if (options.bootstrapAdmin !== "on-call") await auth.bootstrapAdmin();

  // Rows an upgrade's migrations left to fill are filled while the node serves (the stores read
  // them meanwhile), never before it starts: a rolling upgrade's nodes would each wait for them.
  // Started once nothing is left to fail, so a failed start leaves no backfill running on the
  // storage its undo closed. Its failure is told, never left unhandled, which would end the process.
  storage.backfill?.(logger).catch((error: unknown) =>
    logger.error("storage backfill failed; the node serves on, and its next start runs the backfill again", {
      error: describeError(error),
    }),
  );

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
