import type { ConfigEvent } from "../../audit/gateway-event.ts";
import { RELEASE } from "../../core/build-commit.ts";

/**
 * What an operator checks first: `GET /admin/api/status`. An admin in a tenant gets the part that
 * says nothing of other tenants (`tenantStatus`): the fields marked "gateway-wide" are left out.
 */
export interface AdminStatus {
  /**
   * Gateway-wide: this node's release and the commit it was built from (`0.1.0+1a2b3c4`), builds of
   * one version told apart; not for an admin in a tenant, as nothing of the host is.
   */
  release?: string;
  /** The connected workers: for an admin in a tenant, those its callers may be routed to. */
  workers: number;
  draining: boolean;
  /** Gateway-wide: every tenant's requests. */
  inFlight?: number;
  config: {
    version: number;
    /** Gateway-wide: where the file lies on the gateway's host. */
    path?: string | null;
    /** Gateway-wide: the text may quote any tenant's part of the config. */
    lastReloadError?: string | null;
    /** Restart-only fields edited since start: "restart required", not applied. */
    restartRequired: readonly string[];
    /**
     * The last config change since start: reloaded, not applied (restart-only settings alone) or
     * rejected (what the web UI's overview shows). Gateway-wide: a rejection's text.
     */
    lastEvent?: ConfigEvent | null;
  };
  audit: { healthy: boolean };
  /** On a cluster node: Redis health, this node and the live nodes with their worker counts. */
  cluster?: object;
}

export interface AdminStatusDeps {
  /** The connected workers a caller of `tenant` may be routed to; every one when none is given. */
  readonly workerCount: (tenant?: string) => number;
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

/**
 * The status as a reader of `scope` may see it: whole for an admin outside every tenant (null); for
 * an admin in a tenant, its tenant's workers, the config's version, readiness and audit health —
 * not the gateway-wide load, the config file's path and reload errors, nor the cluster's nodes and
 * links.
 */
export function adminStatus(deps: AdminStatusDeps): (scope: string | null) => AdminStatus {
  return (scope) => (scope === null ? gatewayStatus(deps) : tenantStatus(deps, scope));
}

function tenantStatus(deps: AdminStatusDeps, tenant: string): AdminStatus {
  return {
    workers: deps.workerCount(tenant),
    draining: deps.lifecycle.isDraining,
    config: { version: deps.configVersion(), restartRequired: deps.restartRequired?.() ?? [] },
    audit: { healthy: deps.auditHealthy() },
  };
}

function gatewayStatus(deps: AdminStatusDeps): AdminStatus {
  return {
    release: RELEASE,
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
  };
}
