import type { Principal } from "../auth/principal.ts";
import { createApp } from "../http/create-app.ts";
import { docsRoutes } from "../http/docs/docs-routes.ts";
import type { createFrontDoor, FrontDoorDeps } from "../http/front-door.ts";
import { modelHandlers } from "../http/models-route.ts";
import { responsesRoutes } from "../http/responses-routes.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { workerWebSocketConfig } from "../workers/gateway/worker-endpoint.ts";
import { type AdminRouteParts, adminRouteGroups } from "./admin-route-groups.ts";
import { buildAppMounts } from "./build-apps.ts";
import { type GatewayWorkers, workerGuard } from "./build-workers.ts";

/** The parts the gateway's HTTP app serves through, as the composition root made them. */
export interface GatewayAppParts {
  readonly frontDoor: ReturnType<typeof createFrontDoor>;
  readonly frontDoorDeps: FrontDoorDeps;
  readonly workers: GatewayWorkers;
  /** The workers a route may reach: this node's, and on a cluster node the other nodes' too. */
  readonly workerDirectory: GatewayWorkers["directory"];
  readonly telemetry: Telemetry;
  /** What the admin API reads and acts on; its guard is the front door's. */
  readonly admin: Omit<AdminRouteParts, "guard" | "guardUnauthenticated" | "workerDirectory">;
}

/**
 * The gateway's HTTP app: the front doors, the apps' mounts, stored responses, the worker and
 * cluster endpoints, telemetry, the docs and the admin API, each reading the config version
 * current when a request arrives, the listener's settings (restart-only) from the config at start.
 */
export function gatewayApp(parts: GatewayAppParts) {
  const { frontDoor, frontDoorDeps, workers, workerDirectory, admin } = parts;
  const { config, runtime, auth, cluster, lifecycle, audit } = admin;
  // What a caller's tenant may be routed to: configured models, and its own tenant's and the
  // platform's workers'.
  const models = {
    modelNames: (tenant: string) => runtime.current.table.modelNames(tenant),
    lists: (principal: Principal) => runtime.current.limits.lists?.(principal),
    routes: (model: string, tenant: string) => runtime.current.routes(model, tenant),
  };
  // Where a natively answered Responses answer is held: a provider every tenant may use, or the
  // caller's tenant's own; or a worker (any node's) of a tenant the caller's may use. A name a
  // reload gave to another tenant's own provider (its upstream account) holds nothing of the
  // caller's, as a name another tenant's worker took since: the gateway's copy is read instead.
  const holderOf = (name: string, tenant: string) => {
    const provider = runtime.current.providers.get(name);
    if (!provider) return workerDirectory.provider.holder?.(name, tenant);
    const owner = runtime.current.config.providers.find((p) => p.name === name)?.tenant;
    return owner === undefined || owner === tenant ? provider : undefined;
  };
  // The most of a holder's answer to a stored response's read that is relayed, as of a model's.
  const maxUpstreamBody = () => runtime.current.config.routing.max_upstream_body;
  // Bun takes one message limit a server: the larger of a worker's frame and a request body (a
  // Responses WebSocket turn is a body). A worker's frames are still held to `workers.max_message`
  // by its connection, which closes with 1009 past it. The send buffer's limit follows it, for
  // every socket of the server (docs/RELIABILITY.md, "a client stops reading a Responses WebSocket").
  const serverMessageBytes = Math.max(config.workers.max_message, config.server.max_body);
  return createApp({
    serveModel: frontDoor.serveModel,
    ...modelHandlers({ guard: frontDoor.guard, ...models }),
    mounts: buildAppMounts(config.apps, frontDoorDeps, models, maxUpstreamBody, holderOf),
    notReady: () => {
      if (lifecycle.isDraining) return { status: "draining" };
      const clusterSays = cluster?.notReady();
      if (clusterSays !== undefined) return { status: "unavailable", reason: `cluster: ${clusterSays}` };
      const down = audit.refusedBecause();
      return down === undefined ? undefined : { status: "unavailable", reason: `audit storage: ${down}` };
    },
    readyDetail: () => ({
      config: { version: runtime.current.version },
      ...(cluster ? { cluster: cluster.readyDetail() } : {}),
    }),
    unrouted: frontDoor.reject,
    preflight: frontDoor.preflight,
    websocket: workerWebSocketConfig(serverMessageBytes),
    plugins: [
      ...(config.workers.enabled
        ? [
            workers.endpoint(
              workerGuard(frontDoor),
              () => runtime.current.workerTerms,
              auth.sessions,
              admin.holds,
              serverMessageBytes,
            ),
          ]
        : []),
      ...(cluster ? [cluster.endpoint(workers.directory)] : []),
      // With apps, stored responses are read through the OpenAI apps' prefixes only.
      ...(config.apps.length === 0
        ? [
            responsesRoutes({
              guard: frontDoor.guard,
              store: frontDoorDeps.responses,
              ...(frontDoorDeps.inFlight ? { inFlight: frontDoorDeps.inFlight } : {}),
              logger: frontDoorDeps.logger,
              serveModel: frontDoor.serveModel,
              holder: holderOf,
              sessions: auth.sessions,
              holds: admin.holds,
              routes: models.routes,
              maxBody: () => runtime.current.maxBody,
              maxUpstreamBody,
            }),
          ]
        : []),
      ...parts.telemetry.routes(frontDoor.guard),
      docsRoutes(config, () => runtime.current.config.models),
      ...adminRouteGroups({
        ...admin,
        workerDirectory,
        guard: frontDoor.guard,
        guardUnauthenticated: frontDoor.guardUnauthenticated,
        ...(frontDoorDeps.shutdown ? { shutdown: frontDoorDeps.shutdown } : {}),
      }),
    ],
  });
}
