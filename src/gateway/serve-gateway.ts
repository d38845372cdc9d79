import type { AnyElysia } from "elysia";
import { trustProxies } from "../http/client-of.ts";
import { lastResortAnswer } from "../http/last-resort-answer.ts";
import type { Lifecycle } from "../http/lifecycle.ts";
import { drainDeadlineError } from "../http/refusal-error.ts";
import type { Shutdown } from "../http/shutdown.ts";
import type { Logger } from "../log/logger.ts";
import type { Storage } from "../storage/storage.ts";
import { drainWithin } from "./drain-within.ts";
import type { BuiltGateway } from "./gateway-options.ts";
import { gatewayWebSocket } from "./gateway-websocket.ts";
import { handedRequest } from "./handed-request.ts";
import type { RuntimeHolder } from "./runtime.ts";
import { runStopSteps, type StopStep, stopFailed } from "./stop-steps.ts";
import { withoutExitHook } from "./without-exit-hook.ts";

/** After the drain deadline: how long requests that were told to stop get to write their end. */
const FINAL_FLUSH_MS = 2_000;

export interface ServeGatewayParts {
  readonly app: AnyElysia;
  readonly runtime: RuntimeHolder;
  readonly storage: Storage;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  /** Aborted when the drain deadline passes, so requests still running end with an error event. */
  readonly shutdown?: Shutdown;
  /** Re-reads the config source now (SIGHUP). */
  readonly reload: () => Promise<boolean>;
  /** Why the last config change was refused, or null. */
  readonly lastReloadError: () => string | null;
  /** Restart-only fields changed since start, waiting for a restart. */
  readonly restartRequired: () => readonly string[];
  /** Creates the one-time admin key if the store is empty. */
  readonly bootstrapAdmin: () => Promise<void>;
  /** Run first on stop, before the drain: stop watching, end live streams. */
  readonly beforeDrain: readonly StopStep[];
  /**
   * Run once drained, before the listener closes and cuts the connections still open: the parts
   * that say goodbye on theirs (workers).
   */
  readonly beforeClose: readonly StopStep[];
  /** Run in order once drained and the listener is closed: flush and close each part. */
  readonly afterDrain: readonly StopStep[];
}

/** The assembled gateway's outside: in-process `handle`, `listen` on a socket, and the ordered stop. */
export function serveGateway(parts: ServeGatewayParts): BuiltGateway {
  const { app, lifecycle, runtime, logger } = parts;
  let server: ReturnType<typeof Bun.serve> | undefined;
  let stopping: Promise<void> | undefined;

  async function stop(): Promise<void> {
    const deadline = runtime.current.config.server.drain_timeout;
    const until = performance.now() + deadline;
    const failures = await runStopSteps(parts.beforeDrain, logger, until);
    // The listener stays open while draining so that load balancers see /readyz turn 503 and
    // new requests get a clear 503 instead of a refused connection; it closes once idle.
    if (!(await drainWithin(lifecycle, Math.max(0, until - performance.now())))) {
      logger.warn(
        `drain deadline (${deadline} ms) passed with ${lifecycle.active} requests in flight and ${lifecycle.eventStreamsOpen} live event streams open`,
      );
      // End them properly: each gets its error event (or 503) and its audit record, and a
      // moment to write it, before the listener and its connections close.
      parts.shutdown?.endAll(drainDeadlineError());
      await drainWithin(lifecycle, FINAL_FLUSH_MS);
    }
    failures.push(...(await runStopSteps(parts.beforeClose, logger, until)));
    await server?.stop(true);
    // What is left of the drain's time is the audit's, to retry failing storage (audit-service.ts).
    failures.push(...(await runStopSteps(parts.afterDrain, logger, until)));
    if (failures.length > 0) throw stopFailed(failures);
  }

  return {
    app,
    runtime,
    storage: parts.storage,
    handle(request, options) {
      // The WebSocket routes upgrade on the app's server (Elysia): without a listener of ours,
      // the embedder's own that took the request.
      if (options?.server && !server) app.server ??= options.server;
      return app.handle(handedRequest(request, options));
    },
    websocket: gatewayWebSocket(app),
    reload: parts.reload,
    lastReloadError: parts.lastReloadError,
    restartRequired: parts.restartRequired,
    bootstrapAdmin: parts.bootstrapAdmin,
    listen(host, port) {
      if (stopping) throw new Error("the gateway has stopped; create another to listen again");
      // Elysia keeps one server per app: a second listener would be left out of the stop (and
      // of anything else that reaches the app's server). More addresses: gateway.handle() behind
      // servers of your own.
      if (server)
        throw new Error(
          `the gateway already listens on ${server.hostname}:${server.port}; it has one listener`,
        );
      withoutExitHook(() =>
        app.listen({
          hostname: host,
          port,
          // Every body is read through a bounded reader (http/read-json-body.ts) that answers 413
          // in the caller's dialect with an x-request-id. A finite bound here would make Bun answer
          // bodies above it with a bare 413 of its own, so it is lifted; nothing reads unbounded.
          maxRequestBodySize: Number.MAX_SAFE_INTEGER,
          // Every connection, authenticated or not, is closed after this long with nothing sent or
          // received: a socket that declares a body and goes quiet cannot be held open forever.
          idleTimeout: Math.round(runtime.current.config.server.idle_timeout / 1000),
          // Elysia shares the port by default (SO_REUSEPORT): a second gateway on a port in use
          // would start and split the traffic. Binding exclusively makes it fail instead.
          reusePort: false,
          // Elysia turns Bun's development mode on unless NODE_ENV=production, and its page for an
          // error no handler caught shows source lines and the working directory to the caller.
          development: false,
          error: lastResortAnswer(logger),
        }),
      );
      server = app.server ?? undefined;
      if (!server) throw new Error("server failed to start");
      // Whom a request's `X-Forwarded-For` is believed from: this version's `server.trusted_proxies`.
      trustProxies(server, () => runtime.current.trustedProxies);
      return { port: server.port ?? port, hostname: server.hostname ?? host };
    },
    // A second call (a signal handler and a finally block, say) waits for the first stop.
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
