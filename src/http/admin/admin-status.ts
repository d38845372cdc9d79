import type { GatewayEvent } from "../../audit/gateway-event.ts";

type ConfigEvent = Extract<GatewayEvent, { type: "config.reloaded" | "config.rejected" }>;

/** What an operator checks first: `GET /admin/api/status`. */
export interface AdminStatus {
  workers: number;
  draining: boolean;
  inFlight: number;
  config: {
    version: number;
    path: string | null;
    lastReloadError: string | null;
    /** Restart-only fields edited since start: "restart required", not applied. */
    restartRequired: readonly string[];
    /** The last reload or rejection since start (what the web UI's overview shows). */
    lastEvent: ConfigEvent | null;
  };
  audit: { healthy: boolean };
  /** On a cluster node: Redis health, this node and the live nodes with their worker counts. */
  cluster?: object;
}

export interface AdminStatusDeps {
  readonly workerCount: () => number;
  readonly lifecycle: { readonly isDraining: boolean; readonly active: number };
  readonly configVersion: () => number;
  readonly configPath: string | null;
  readonly lastReloadError: () => string | null;
  readonly restartRequired?: () => readonly string[];
  readonly lastConfigEvent?: () => ConfigEvent | null;
  /** False while audit storage is down and requests are refused (never with `fail_open`). */
  readonly auditHealthy: () => boolean;
  readonly cluster?: () => object;
}

export function adminStatus(deps: AdminStatusDeps): () => AdminStatus {
  return () => ({
    workers: deps.workerCount(),
    draining: deps.lifecycle.isDraining,
    inFlight: deps.lifecycle.active,
    config: {
      version: deps.configVersion(),
      path: deps.configPath,
      lastReloadError: deps.lastReloadError(),
      restartRequired: deps.restartRequired?.() ?? [],
      lastEvent: deps.lastConfigEvent?.() ?? null,
    },
    audit: { healthy: deps.auditHealthy() },
    ...(deps.cluster ? { cluster: deps.cluster() } : {}),
  });
}
