import type { PriceView } from "./price-columns.ts";

/** `/admin/api/status`: the gateway's own type for it (http/admin/admin-status.ts), not a copy. */
export type { AdminStatus as StatusView } from "../http/admin/admin-status.ts";

export interface RouteHealthView {
  open: boolean;
  /**
   * Both left out for an admin in a tenant on a route of a provider every tenant may use: those
   * requests are every tenant's (http/admin/tenant-routing.ts).
   */
  inFlight?: number;
  /** Mean time to first byte (0: none yet). */
  latencyMs?: number;
}

/** `/admin/api/routing` (gateway/routing-view.ts). */
export interface RoutingView {
  /** `path` absent: left out for an admin in a tenant (gateway-wide), as the status leaves it. */
  config: { path?: string | null; version: number };
  models: {
    name: string;
    aliases?: string[];
    strategy: string;
    routes: { provider: string; model: string; weight: number; health: RouteHealthView }[];
    shadow?: { provider: string; model: string; sample: number; health: RouteHealthView };
  }[];
  providers: { name: string; type: string; base_url?: string }[];
  prices: Record<string, PriceView>;
  workerModels: string[];
}
