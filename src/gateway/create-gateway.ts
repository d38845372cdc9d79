import type { AnyElysia } from "elysia";
import { type Authenticator, createAuthenticator } from "../auth/authenticate.ts";
import { KeyCache } from "../auth/key-cache.ts";
import type { Config } from "../config/config-schema.ts";
import { watchConfig } from "../config/watch-config.ts";
import { createApp } from "../http/create-app.ts";
import { createFrontDoor, type Limits } from "../http/front-door.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import type { RequestObserver } from "../http/request-ledger.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { createProvider, type ProviderFactory } from "../providers/create-provider.ts";
import { RouteHealth } from "../routing/route-health.ts";
import { createRouter } from "../routing/router.ts";
import type { Storage } from "../storage/storage.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { modelList } from "./list-models.ts";
import { RuntimeHolder } from "./runtime.ts";

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

const noLimits: Limits = { admit: () => ({}), record: () => 0 };

/**
 * The composition root: one code path for `mindgw serve`, the tests and embedders. Storage,
 * config and logging come in; nothing below reaches for globals.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger();
  const storage = options.storage ?? openSqliteStorage(options.config.storage.path);
  const runtime = new RuntimeHolder(options.config, options.providerFactory ?? createProvider, undefined);
  const lifecycle = new Lifecycle();
  const health = new RouteHealth({
    failures: options.config.routing.circuit_breaker.failures,
    cooldownMs: options.config.routing.circuit_breaker.cooldown,
  });
  const keys = new KeyCache({ store: storage.keys, onError: () => logger.warn("key cache refresh failed") });
  await keys.start();
  const authenticate = options.authenticate ?? createAuthenticator({ keys });

  const observer: RequestObserver = { started() {}, finished() {} };
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
    authenticate,
    limits: noLimits,
    observer,
    lifecycle,
    maxBody: () => runtime.current.config.server.max_body,
    refusal: () => undefined,
  });
  const app = createApp({
    serveModel: frontDoor.serveModel,
    listModels: (request, client) =>
      frontDoor.guard(request, client, "models", "openai", async ({ principal, headers }) =>
        Response.json(modelList(runtime.current.table.modelNames(), principal), { headers }),
      ),
    ready: () => !lifecycle.isDraining,
  });

  const stopWatching = options.configPath
    ? watchConfig(options.configPath, {
        onValid(config) {
          const next = runtime.swap(config);
          health.setPolicy({ failures: config.routing.circuit_breaker.failures, cooldownMs: config.routing.circuit_breaker.cooldown });
          logger.info(`config reloaded (version ${next.version})`);
        },
        onInvalid(error) {
          logger.error(`config change rejected, still serving the previous config:\n${error.message}`);
        },
      })
    : () => {};

  let server: ReturnType<typeof Bun.serve> | undefined;
  return {
    app,
    runtime,
    storage,
    handle: (request) => app.handle(request),
    listen(host, port) {
      const config = runtime.current.config;
      app.listen({
        hostname: host,
        port,
        // Our own reader answers 413 in the caller's dialect; Bun's bound is only a backstop.
        maxRequestBodySize: config.server.max_body * 2 + 1024 * 1024,
        idleTimeout: 0,
      });
      server = app.server ?? undefined;
      if (!server) throw new Error("server failed to start");
      return { port: server.port ?? port, hostname: server.hostname ?? host };
    },
    async stop() {
      lifecycle.drain();
      stopWatching();
      const deadline = runtime.current.config.server.drain_timeout;
      const drained = lifecycle.idle().then(() => true);
      const timedOut = Bun.sleep(deadline).then(() => false);
      void server?.stop(false);
      const clean = await Promise.race([drained, timedOut]);
      if (!clean) logger.warn(`drain deadline (${deadline} ms) passed with ${lifecycle.active} requests in flight`);
      await server?.stop(true);
      await keys.close();
      await storage.close();
    },
  };
}
