import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Principal } from "../auth/principal.ts";
import type { NewlyServed } from "../cluster/newly-listed.ts";
import type { Config } from "../config/config-schema.ts";
import { timerDelay } from "../core/timer-delay.ts";
import { clientIpOf } from "../http/client-of.ts";
import type { createFrontDoor } from "../http/front-door.ts";
import type { Logger } from "../log/logger.ts";
import { probeNewlyServed } from "../routing/probe-newly-served.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { WorkerDirectory } from "../routing/route-table.ts";
import type { CallerHolds } from "../tenants/caller-holds.ts";
import { tenantModelsOf, type WorkerIdentity } from "../workers/gateway/admit-worker.ts";
import type { RegisteredWorker } from "../workers/gateway/registered-worker.ts";
import {
  type AdmittedUpgrade,
  type WorkerGuard,
  type WorkerTerms,
  workerEndpoint,
} from "../workers/gateway/worker-endpoint.ts";
import { createWorkersProvider, workerLabel } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry, type WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { WorkerRegistryOptions } from "../workers/gateway/worker-registry-options.ts";
import { workerLogger } from "./worker-logger.ts";

export interface GatewayWorkers {
  readonly registry: WorkerRegistry;
  /** How the route table sees connected workers: the `workers` provider and what they serve. */
  readonly directory: WorkerDirectory;
  /**
   * Mounts `GET /workers/connect` (only while `workers.enabled`); each upgrade goes through
   * `guard`, and each connection is held to the terms of the config version current as they are
   * read (`RuntimeSnapshot.workerTerms`: its admission, its drain when its key narrows).
   */
  endpoint(
    guard: WorkerGuard,
    terms: () => WorkerTerms,
    sessions: KeySessions | undefined,
    /** What callers hold open: a reload that refuses a worker's key (its tenant removed) closes its connection. */
    holds: CallerHolds | undefined,
    /** The server's message limit, `workerWebSocketConfig`'s argument: its send buffer's limit follows it. */
    serverMessageBytes: number,
  ): ReturnType<typeof workerEndpoint>;
}

/** The worker endpoint's view of a caller: the principal's role, credential, name, tenant, models, key and expiry. */
export function workerIdentity(principal: Principal): WorkerIdentity {
  const tenantModels = tenantModelsOf(principal);
  return {
    role: principal.role,
    credential: principal.via,
    name: principal.name,
    tenant: principal.tenant,
    models: principal.models,
    ...(tenantModels ? { tenantModels } : {}),
    keyId: principal.keyId,
    ...(principal.expiresAt !== undefined ? { expiresAt: principal.expiresAt } : {}),
  };
}

/**
 * The worker endpoint's guard: the front door's, under front door `workers`, so an upgrade is
 * recorded as every request is: refused (a query string, before any credential is read; a wrong
 * token, a user key, a browser origin) with its status, admitted with 101, each with its request id.
 */
export function workerGuard(
  frontDoor: Pick<ReturnType<typeof createFrontDoor>, "guard" | "guardUnauthenticated">,
): WorkerGuard {
  return async (request, server, { screen, admit }) => {
    const clientIp = clientIpOf(server, request);
    try {
      screen();
    } catch (refusal) {
      // Refused by the request alone: recorded and answered as any refusal, no caller named.
      return frontDoor.guardUnauthenticated(request, clientIp, "workers", "openai", () =>
        Promise.reject(refusal),
      );
    }
    let admitted: AdmittedUpgrade | undefined;
    const refused = await frontDoor.guard(request, clientIp, "workers", "openai", async (guarded) => {
      const identity = workerIdentity(guarded.principal);
      admit(identity);
      // The row says the connection was opened; the calls it serves are recorded by the callers'.
      guarded.deferEnd()(101);
      admitted = { identity, principal: guarded.principal, requestId: guarded.ledger.requestId };
      return new Response(null, { status: 204 });
    });
    return admitted ?? refused;
  };
}

/**
 * The registry's `newlyServed`: each model's breaker half-opened for the worker that newly serves
 * it, its probe pinned to that worker (named as a failure names who served it) and its tenant.
 */
export function probeNewcomers(
  health: Pick<RouteHealth, "halfOpen">,
): NonNullable<WorkerRegistryOptions["newlyServed"]> {
  const probe = probeNewlyServed(health);
  return (worker, models, cause) => probe({ by: workerLabel(worker), tenant: worker.tenant }, models, cause);
}

/**
 * A cluster's `newlyServed`: another node's worker newly listed for models half-opens this node's
 * breakers of them, as a worker registering here does, its probe pinned to that worker (which this
 * node reaches through its node) and its tenant.
 */
export function probeListed(health: Pick<RouteHealth, "halfOpen">): (listed: NewlyServed) => void {
  const probe = probeNewlyServed(health);
  return ({ node, worker, tenant, models }) =>
    probe({ by: workerLabel({ name: worker }), tenant }, models, "registered", node);
}

/** The worker registry and the endpoint workers dial into, from the `workers` section. */
export function buildWorkers(
  config: Config,
  logger: Logger,
  publish: (event: GatewayEvent) => void,
  /** The worker's models the config version current then routes elsewhere (shadowed-models.ts). */
  shadowedModels: (worker: RegisteredWorker) => readonly string[],
  /** The routes' breakers: a worker newly serving a model lets `workers/<model>` be probed at once. */
  health: Pick<RouteHealth, "halfOpen">,
): GatewayWorkers {
  const log = workerLogger(logger);
  const heartbeatTimeoutMs = config.workers.heartbeat_timeout;
  const registry = createWorkerRegistry({
    onEvent: publish,
    log,
    // Within what a timer holds: a third of a 90-day timeout, past it, beat every millisecond.
    heartbeatMs: timerDelay(Math.max(100, Math.floor(heartbeatTimeoutMs / 3))),
    heartbeatTimeoutMs,
    shadowedModels,
    newlyServed: probeNewcomers(health),
  });
  return {
    registry,
    directory: {
      provider: createWorkersProvider(registry),
      servesModel: (model, tenant) => registry.serves(model, tenant),
      models: (tenant) => registry.models(tenant),
    },
    endpoint: (guard, terms, sessions, holds, serverMessageBytes) =>
      workerEndpoint({
        registry,
        guard,
        terms,
        log,
        ...(sessions ? { sessions } : {}),
        ...(holds ? { holds } : {}),
        maxMessageBytes: config.workers.max_message,
        serverMessageBytes,
      }),
  };
}
