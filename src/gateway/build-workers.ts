import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import type { WorkerDirectory } from "../routing/route-table.ts";
import type { AdmitOptions } from "../workers/gateway/admit-worker.ts";
import { workerEndpoint } from "../workers/gateway/worker-endpoint.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry, type WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { workerLogger } from "./worker-logger.ts";

export interface GatewayWorkers {
  readonly registry: WorkerRegistry;
  /** How the route table sees connected workers: the `workers` provider and what they serve. */
  readonly directory: WorkerDirectory;
  /**
   * Mounts `GET /workers/connect` (only while `workers.enabled`); each upgrade is admitted by the
   * config version current then (`RuntimeSnapshot.workerAdmission`).
   */
  endpoint(admission: () => AdmitOptions, sessions?: KeySessions): ReturnType<typeof workerEndpoint>;
}

/** The worker endpoint's view of a caller: the principal's role, name, models, key and expiry. */
export function workerIdentities(authenticate: Authenticator): AdmitOptions["authenticate"] {
  return async (headers) => {
    const principal = await authenticate(headers);
    return {
      role: principal.role,
      name: principal.name,
      models: principal.models,
      keyId: principal.keyId,
      ...(principal.expiresAt !== undefined ? { expiresAt: principal.expiresAt } : {}),
    };
  };
}

/** The worker registry and the endpoint workers dial into, from the `workers` section. */
export function buildWorkers(
  config: Config,
  logger: Logger,
  publish: (event: GatewayEvent) => void,
): GatewayWorkers {
  const log = workerLogger(logger);
  const heartbeatTimeoutMs = config.workers.heartbeat_timeout;
  const registry = createWorkerRegistry({
    onEvent: publish,
    log,
    heartbeatMs: Math.max(100, Math.floor(heartbeatTimeoutMs / 3)),
    heartbeatTimeoutMs,
  });
  return {
    registry,
    directory: {
      provider: createWorkersProvider(registry),
      servesModel: (model) => registry.serves(model),
      models: () => registry.models(),
    },
    endpoint: (admission, sessions) =>
      workerEndpoint({
        registry,
        admission,
        log,
        ...(sessions ? { sessions } : {}),
        maxMessageBytes: config.workers.max_message,
      }),
  };
}
