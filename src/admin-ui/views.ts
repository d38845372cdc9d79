import type { GatewayEvent } from "../audit/gateway-event.ts";

/** `/admin/api/status`. */
export interface StatusView {
  workers: number;
  draining: boolean;
  inFlight: number;
  config: {
    version: number;
    path: string | null;
    lastReloadError: string | null;
    lastEvent: Extract<GatewayEvent, { type: "config.reloaded" | "config.rejected" }> | null;
  };
  audit: { healthy: boolean };
}

export interface RouteHealthView {
  open: boolean;
  inFlight: number;
  latencyMs: number;
}

/** `/admin/api/routing` (gateway/routing-view.ts). */
export interface RoutingView {
  config: { path: string | null; version: number };
  models: {
    name: string;
    aliases?: string[];
    strategy: string;
    routes: { provider: string; model: string; weight: number; health: RouteHealthView }[];
    shadow?: { provider: string; model: string; sample: number; health: RouteHealthView };
  }[];
  providers: { name: string; type: string; base_url?: string }[];
  prices: Record<string, { input_per_mtok: number; output_per_mtok: number }>;
  workerModels: string[];
}
