import { Elysia } from "elysia";
import { requireArea } from "../../auth/roles.ts";
import { adminGuards } from "../../http/admin/admin-guards.ts";
import type { createFrontDoor } from "../../http/front-door.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";

/**
 * `GET /metrics` on the main listener: an admin key outside every tenant (the series are every
 * tenant's: spend by tenant name among them), never a web UI session; audited like every admin call.
 */
export function metricsRoutes(deps: {
  guard: ReturnType<typeof createFrontDoor>["guard"];
  metrics: GatewayMetrics;
}) {
  return new Elysia().get(
    "/metrics",
    adminGuards(deps.guard).wholeGateway(async ({ headers, principal }) => {
      requireArea(principal, "metrics");
      return new Response(await deps.metrics.scrape(), {
        headers: { ...headers, "content-type": deps.metrics.contentType },
      });
    }),
  );
}

/**
 * `metrics.listen`: a listener of its own that answers `GET /metrics` without a credential, for
 * scrapers on a private network. It serves nothing else. Returns how to stop it.
 */
export function startMetricsListener(
  address: string,
  metrics: GatewayMetrics,
): { url: string; stop(): void } {
  const colon = address.lastIndexOf(":");
  const hostname = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const server = Bun.serve({
    hostname,
    port: Number(address.slice(colon + 1)),
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "GET" || path !== "/metrics")
        return new Response("not found\n", { status: 404 });
      return new Response(await metrics.scrape(), { headers: { "content-type": metrics.contentType } });
    },
  });
  // Port 0 picks a free port; the log line names the one taken.
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${server.port}/metrics`, stop: () => void server.stop(true) };
}
