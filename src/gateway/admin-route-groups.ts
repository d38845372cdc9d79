import type { AuditService } from "../audit/audit-service.ts";
import type { RequestStats } from "../audit/request-stats.ts";
import { spendByCaller } from "../auth/spend-by-caller.ts";
import type { startCluster } from "../cluster/start-cluster.ts";
import type { Config } from "../config/config-schema.ts";
import { cursorSeal } from "../core/cursor-seal.ts";
import type { SealSecret } from "../core/shared-key.ts";
import { adminInsightRoutes } from "../http/admin/admin-insight-routes.ts";
import { adminKeyRoutes } from "../http/admin/admin-key-routes.ts";
import { adminRoutes } from "../http/admin/admin-routes.ts";
import { adminStatus } from "../http/admin/admin-status.ts";
import { shadowRoutes } from "../http/admin/shadow-routes.ts";
import { tenantRoutes } from "../http/admin/tenant-routes.ts";
import type { createAdminUi } from "../http/admin-ui/admin-ui.ts";
import type { createFrontDoor } from "../http/front-door.ts";
import type { Lifecycle } from "../http/lifecycle.ts";
import type { Shutdown } from "../http/shutdown.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import type { ShadowRunner } from "../shadow/shadow-runner.ts";
import { activeKeyCounts } from "../storage/key-counts.ts";
import { spendTotals } from "../storage/spend-totals.ts";
import type { Storage } from "../storage/storage.ts";
import type { CallerHolds } from "../tenants/caller-holds.ts";
import { listWorkers } from "../workers/gateway/list-workers.ts";
import type { ReloadPolicy } from "./apply-reload.ts";
import type { buildAuth } from "./build-auth.ts";
import type { GatewayWorkers } from "./build-workers.ts";
import { routingView } from "./routing-view.ts";
import type { RuntimeHolder } from "./runtime.ts";

/** The gateway's parts the admin API reads and acts on, as the composition root made them. */
export interface AdminRouteParts {
  readonly config: Config;
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** The front door's guard for a request without a credential (single sign-on's steps). */
  readonly guardUnauthenticated: ReturnType<typeof createFrontDoor>["guardUnauthenticated"];
  readonly runtime: RuntimeHolder;
  readonly auth: Awaited<ReturnType<typeof buildAuth>>;
  readonly adminUi: ReturnType<typeof createAdminUi>;
  readonly stats: RequestStats;
  readonly health: RouteHealth;
  /** The config file the gateway follows, if any (the status and routing views name it). */
  readonly configPath: string | null;
  /** What this node's seals are keyed from, read once at start (seal-secret-of.ts). */
  readonly sealSecret: SealSecret;
  readonly registry: GatewayWorkers["registry"];
  /**
   * The workers a route may reach, as `/v1/models` lists them: this node's, and on a cluster node
   * the other nodes' too.
   */
  readonly workerDirectory: GatewayWorkers["directory"];
  readonly storage: Storage;
  readonly shadowCounts: ShadowRunner["counts"];
  readonly audit: AuditService;
  readonly lifecycle: Lifecycle;
  readonly reload: ReloadPolicy;
  readonly cluster: Awaited<ReturnType<typeof startCluster>>;
  /**
   * Whether the built-in limits count spend (their spend ledger): false under an embedder's own
   * `Policy`, which replaces them, so that tenants' spend is read from the audit rows instead.
   */
  readonly spendLedger: boolean;
  /**
   * What callers hold open on this node (live event streams, worker connections), ended by a
   * reload that no longer admits them.
   */
  readonly holds: CallerHolds;
  /** The open requests a stop's drain deadline ends (an audit export under way among them). */
  readonly shutdown?: Shutdown;
}

/**
 * The `/admin` route groups: keys, the web console (its page, sign-in, SSO), insight (stats,
 * routing, actions, spend), tenants, shadow comparisons, and audit, workers, events and status. Each group guards its own routes; this only hands each the parts it reads.
 */
export function adminRouteGroups(parts: AdminRouteParts) {
  const { guard, runtime, storage, auth, adminUi, cluster } = parts;
  return [
    adminKeyRoutes({
      guard,
      keyAdmin: auth.keyAdmin,
      recordAction: adminUi.recordAction,
      bodyTimeout: () => runtime.current.bodyTimeout,
    }),
    // The web console's own: its page, sign-in and sign-out, SSO.
    adminUi.routes({ guard, guardUnauthenticated: parts.guardUnauthenticated }),
    adminInsightRoutes({
      guard,
      stats: (window) => parts.stats.series(Date.now(), window),
      routing: (tenant) =>
        routingView({
          runtime: runtime.current,
          health: parts.health,
          configPath: parts.configPath,
          workerModels: parts.workerDirectory.models(tenant),
        }),
      actions: adminUi.actions,
      actionIdSeal: cursorSeal(parts.sealSecret, "admin action id"),
      spentBy: spendByCaller(storage.keys, storage.spend),
      tenantKeys: async (tenant) =>
        (await storage.keys.list({ tenant, includeRevoked: true })).map((key) => key.id),
    }),
    tenantRoutes({
      guard,
      tenants: () => runtime.current.config.tenants,
      audit: storage.audit,
      countKeys: (tenants) => activeKeyCounts(storage.keys, tenants, Date.now()),
      ...(parts.spendLedger ? { spent: (subjects) => spendTotals(storage.spend, subjects) } : {}),
    }),
    shadowRoutes({ guard, store: storage.shadow, counts: parts.shadowCounts }),
    adminRoutes({
      guard,
      audit: parts.audit,
      cursorSeal: cursorSeal(parts.sealSecret, "audit cursor"),
      sessions: auth.sessions,
      holds: parts.holds,
      ...(cluster ? { writtenElsewhere: () => cluster.othersWritten() } : {}),
      ...(parts.shutdown ? { shutdown: parts.shutdown } : {}),
      eventsSocketIdle: Math.min(255, Math.ceil(parts.config.server.idle_timeout / 1000) + 15),
      socketIdle: Math.round(parts.config.server.idle_timeout / 1000),
      workers: (scope, reader) => listWorkers(parts.registry, scope, reader),
      status: adminStatus({
        workerCount: (tenant) => parts.registry.list(tenant).length,
        lifecycle: parts.lifecycle,
        configVersion: () => runtime.current.version,
        configPath: parts.configPath,
        lastReloadError: parts.reload.lastError,
        restartRequired: parts.reload.restartRequired,
        lastConfigEvent: () => parts.stats.lastConfigEvent,
        auditHealthy: () => parts.audit.refusal() === undefined || parts.config.audit.fail_open,
        ...(cluster ? { cluster: () => cluster.status() } : {}),
      }),
    }),
  ];
}
