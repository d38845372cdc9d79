import type { AnyElysia } from "elysia";
import type { RedactBody } from "../audit/audit-inserter.ts";
import { createAuditService } from "../audit/audit-service.ts";
import { RequestStats } from "../audit/request-stats.ts";
import { type Authenticator, createAuthenticator } from "../auth/authenticate.ts";
import { createJwtVerifier } from "../auth/jwt-verifier.ts";
import { createKeyAdmin, ensureBootstrapAdmin } from "../auth/key-admin.ts";
import { KeyCache } from "../auth/key-cache.ts";
import { RateLimiter } from "../auth/rate-limiter.ts";
import { requireArea } from "../auth/roles.ts";
import { SpendLedger } from "../auth/spend-ledger.ts";
import type { Config } from "../config/config-schema.ts";
import { watchConfig } from "../config/watch-config.ts";
import { adminInsightRoutes } from "../http/admin/admin-insight-routes.ts";
import { adminKeyRoutes } from "../http/admin/admin-key-routes.ts";
import { adminRoutes } from "../http/admin/admin-routes.ts";
import { createAdminUi } from "../http/admin-ui/admin-ui.ts";
import { createApp } from "../http/create-app.ts";
import { createFrontDoor } from "../http/front-door.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import { responsesRoutes } from "../http/responses-routes.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { createProvider, type ProviderFactory } from "../providers/create-provider.ts";
import { RouteHealth } from "../routing/route-health.ts";
import type { WorkerDirectory } from "../routing/route-table.ts";
import { createRouter } from "../routing/router.ts";
import { startResponseRetention } from "../storage/response-retention.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../storage/storage.ts";
import { listWorkers } from "../workers/gateway/list-workers.ts";
import { workerEndpoint, workerWebSocketConfig } from "../workers/gateway/worker-endpoint.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { drainWithin } from "./drain-within.ts";
import { modelList } from "./list-models.ts";
import { routingView } from "./routing-view.ts";
import { RuntimeHolder } from "./runtime.ts";
import { workerLogger } from "./worker-logger.ts";

export interface GatewayOptions {
  config: Config;
  /** When set, the file is watched and valid edits swap in while running. */
  configPath?: string;
  /** Defaults to SQLite at `storage.path`. */
  storage?: Storage;
  /** Builds providers from config; wrap `createProvider` to add custom types. */
  providerFactory?: ProviderFactory;
  /** Replaces API-key/JWT authentication entirely. */
  authenticate?: Authenticator;
  logger?: Logger;
  /**
   * False leaves audit rows unwritten (events still flow): for embedders that keep their own
   * record, and for the benchmark that measures what auditing costs. `mindgw serve` never sets it.
   */
  recordAudit?: boolean;
  /** Applied to bodies stored with `audit.bodies: true`; the default removes credentials. */
  redactBody?: RedactBody;
  /** Receives the one-time admin key created on first start with an empty key store. */
  onBootstrapKey?: (plainKey: string) => void;
}

export interface Gateway {
  readonly app: AnyElysia;
  /** Serves one request in-process (tests, embedding) without a socket. */
  handle(request: Request): Promise<Response>;
  listen(host: string, port: number): { port: number; hostname: string };
  /** Stops taking requests, lets in-flight ones finish within the drain deadline, flushes. */
  stop(): Promise<void>;
  readonly runtime: RuntimeHolder;
  readonly storage: Storage;
}

/**
 * The composition root: one code path for `mindgw serve`, the tests and embedders. Storage,
 * config and logging come in; nothing below reaches for globals.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger();
  const storage = options.storage ?? openSqliteStorage(options.config.storage.path);
  const audit = createAuditService(options.config, logger, options.redactBody);
  const workerLog = workerLogger(logger);
  const heartbeatTimeoutMs = options.config.workers.heartbeat_timeout;
  const registry = createWorkerRegistry({
    onEvent: (event) => audit.bus.publish(event),
    log: workerLog,
    heartbeatMs: Math.max(100, Math.floor(heartbeatTimeoutMs / 3)),
    heartbeatTimeoutMs,
  });
  const workers: WorkerDirectory = {
    provider: createWorkersProvider(registry),
    servesModel: (model) => registry.serves(model),
    models: () => registry.models(),
  };
  const runtime = new RuntimeHolder(options.config, options.providerFactory ?? createProvider, workers);
  const lifecycle = new Lifecycle();
  const health = new RouteHealth({
    failures: options.config.routing.circuit_breaker.failures,
    cooldownMs: options.config.routing.circuit_breaker.cooldown,
  });
  const bootstrap = options.config.auth.bootstrap_admin ? await ensureBootstrapAdmin(storage.keys) : null;
  if (bootstrap) options.onBootstrapKey?.(bootstrap.key);
  const keys = new KeyCache({ store: storage.keys, onError: () => logger.warn("key cache refresh failed") });
  await keys.start();
  const keyAdmin = createKeyAdmin({ store: storage.keys, onChange: (record) => keys.onKeyChanged(record) });
  const jwtConfig = options.config.auth.jwt;
  const authenticate =
    options.authenticate ??
    createAuthenticator({ keys, ...(jwtConfig ? { jwt: createJwtVerifier(jwtConfig) } : {}) });
  const adminUi = createAdminUi({
    config: () => runtime.current.config.admin_ui,
    keys: storage.keys,
    ...(storage.adminActions ? { actions: storage.adminActions } : {}),
    logger,
  });
  const stats = new RequestStats();
  void stats.follow(audit.bus);
  const spend = new SpendLedger({ store: storage.spend, onError: () => logger.warn("spend flush failed") });
  await spend.start();
  const limits = new RateLimiter({ spend, prices: options.config.prices });

  let lastReloadError: string | null = null;
  const router = createRouter({
    table: () => runtime.current.table,
    health,
    policy: () => ({
      retries: runtime.current.config.routing.retries,
      backoffMs: runtime.current.config.routing.backoff,
    }),
    log: (line) => logger.warn(line),
  });
  const frontDoor = createFrontDoor({
    router,
    authenticate: adminUi.authenticate(authenticate),
    limits,
    observer:
      options.recordAudit === false
        ? {
            started: audit.observer.started,
            finished: (record) => audit.bus.publish({ type: "request.finished", at: Date.now(), record }),
          }
        : audit.observer,
    lifecycle,
    maxBody: () => runtime.current.config.server.max_body,
    captureBodies: () => runtime.current.config.audit.bodies,
    logger,
    refusal: () => audit.refusal(),
    responses: storage.responses,
  });
  const app = createApp({
    serveModel: frontDoor.serveModel,
    listModels: (request, client) =>
      frontDoor.guard(request, client, "models", "openai", async ({ principal, headers }) => {
        // A worker key reaches only the worker endpoint, so not even the model list.
        requireArea(principal, "models");
        return Response.json(modelList(runtime.current.table.modelNames(), principal), { headers });
      }),
    ready: () => !lifecycle.isDraining && audit.refusal() === undefined,
    unrouted: frontDoor.reject,
    websocket: workerWebSocketConfig(options.config.workers.max_message),
    plugins: [
      ...(options.config.workers.enabled
        ? [
            workerEndpoint({
              registry,
              authenticate: async (headers) => {
                const principal = await authenticate(headers);
                return { role: principal.role, name: principal.name, models: principal.models };
              },
              log: workerLog,
              maxMessageBytes: options.config.workers.max_message,
              allowedOrigins: options.config.workers.allowed_origins,
            }),
          ]
        : []),
      responsesRoutes({ guard: frontDoor.guard, store: storage.responses }),
      adminKeyRoutes({ guard: frontDoor.guard, keyAdmin, recordAction: adminUi.recordAction }),
      adminUi.routes(frontDoor.guard),
      adminInsightRoutes({
        guard: frontDoor.guard,
        stats: (window) => stats.series(Date.now(), window),
        routing: () =>
          routingView({
            runtime: runtime.current,
            health,
            configPath: options.configPath ?? null,
            workerModels: registry.models(),
          }),
        actions: adminUi.actions,
        spent: (keyId) => spend.spent(keyId),
      }),
      adminRoutes({
        guard: frontDoor.guard,
        audit,
        workers: () => listWorkers(registry),
        status: () => ({
          workers: registry.list().length,
          draining: lifecycle.isDraining,
          inFlight: lifecycle.active,
          config: {
            version: runtime.current.version,
            path: options.configPath ?? null,
            lastReloadError,
            lastEvent: stats.lastConfigEvent,
          },
          audit: { healthy: audit.refusal() === undefined || options.config.audit.fail_open },
        }),
      }),
    ],
  });

  const stopWatching = options.configPath
    ? watchConfig(options.configPath, {
        onValid(config) {
          const next = runtime.swap(config);
          limits.setPrices(config.prices);
          health.setPolicy({
            failures: config.routing.circuit_breaker.failures,
            cooldownMs: config.routing.circuit_breaker.cooldown,
          });
          lastReloadError = null;
          logger.info(`config reloaded (version ${next.version})`);
          audit.bus.publish({ type: "config.reloaded", at: Date.now(), version: next.version });
        },
        onInvalid(error) {
          lastReloadError = error.message;
          logger.error(`config change rejected, still serving the previous config:\n${error.message}`);
          audit.bus.publish({ type: "config.rejected", at: Date.now(), error: error.message });
        },
      })
    : () => {};

  const stopResponseRetention = startResponseRetention(
    storage.responses,
    options.config.storage.responses_retention,
    (error) =>
      logger.warn(`pruning stored responses failed: ${error instanceof Error ? error.message : "error"}`),
  );

  let server: ReturnType<typeof Bun.serve> | undefined;
  return {
    app,
    runtime,
    storage,
    handle: (request) => app.handle(request),
    listen(host, port) {
      app.listen({
        hostname: host,
        port,
        // Every body is read through a bounded reader (http/read-json-body.ts) that answers 413
        // in the caller's dialect with an x-request-id. A finite bound here would make Bun answer
        // bodies above it with a bare 413 of its own, so it is lifted; nothing reads unbounded.
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        idleTimeout: 0,
      });
      server = app.server ?? undefined;
      if (!server) throw new Error("server failed to start");
      return { port: server.port ?? port, hostname: server.hostname ?? host };
    },
    async stop() {
      stopWatching();
      stopResponseRetention();
      // Live event streams never end on their own; close them so the drain is not held up and
      // `mindgw tail` reconnects to the gateway's successor at once.
      audit.bus.closeAll();
      // The listener stays open while draining so that load balancers see /readyz turn 503 and
      // new requests get a clear 503 instead of a refused connection; it closes once idle.
      const deadline = runtime.current.config.server.drain_timeout;
      if (!(await drainWithin(lifecycle, deadline)))
        logger.warn(`drain deadline (${deadline} ms) passed with ${lifecycle.active} requests in flight`);
      await server?.stop(true);
      registry.close();
      await keys.close();
      await spend.close();
      await audit.close();
      await storage.close();
    },
  };
}
