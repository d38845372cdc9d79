import { Elysia } from "elysia";
import { requireArea } from "../../auth/roles.ts";
import { listenAddress } from "../../config/metrics-config.ts";
import { listenFailure } from "../../core/listen-failure.ts";
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
 * scrapers on a private network. It serves nothing else. Returns how to stop it; a bind that fails
 * throws naming `metrics.listen`, the one setting that can be at fault.
 */
export function startMetricsListener(
  address: string,
  metrics: GatewayMetrics,
): { url: string; stop(): void } {
  const parsed = listenAddress(address);
  if (parsed === undefined) throw new Error(`metrics.listen: not host:port: ${address}`);
  const { hostname, port } = parsed;
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port,
      async fetch(request) {
        const path = new URL(request.url).pathname;
        if (request.method !== "GET" || path !== "/metrics")
          return new Response("not found\n", { status: 404 });
        return new Response(await metrics.scrape(), { headers: { "content-type": metrics.contentType } });
      },
    });
  } catch (error) {
    throw new Error(`metrics.listen: ${listenFailure(address, error)}`);
  }
  // Port 0 picks a free port; the log line names the one taken.
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${server.port}/metrics`, stop: () => void server.stop(true) };
}
