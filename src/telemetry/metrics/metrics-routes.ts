import { Elysia } from "elysia";
import { requireArea } from "../../auth/roles.ts";
import { listenAddress } from "../../config/metrics-config.ts";
import { describeError } from "../../core/describe-error.ts";
import { httpOrigin } from "../../core/http-origin.ts";
import { listenFailure, SettingListenError } from "../../core/listen-failure.ts";
import { adminGuards } from "../../http/admin/admin-guards.ts";
import type { createFrontDoor } from "../../http/front-door.ts";
import { requestIdHeader } from "../../http/request-id.ts";
import type { Logger } from "../../log/logger.ts";
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
 * `metrics.listen`: a listener of its own that answers `GET /metrics` (and `HEAD`) without a
 * credential, for scrapers on a private network, each answer with an `x-request-id`. It serves
 * nothing else: another method is 405 with `Allow`, another path 404. Returns how to stop it; a bind that fails
 * throws naming `metrics.listen`, the one setting that can be at fault. A scrape that fails (a
 * source threw: an embedder's policy, a store) is a short 500 and a line in `logger`'s log, never
 * the runtime's error page (its stack and source, to a caller with no credential).
 */
export function startMetricsListener(
  address: string,
  metrics: GatewayMetrics,
  logger: Logger,
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
        // The caller's id, else one of the gateway's, on every answer: as the main listener's are.
        const id = requestIdHeader(request);
        if (new URL(request.url).pathname !== "/metrics")
          return new Response("not found\n", { status: 404, headers: id });
        // HEAD as GET without the body (a scraper's or a probe's check), anything else not allowed.
        if (request.method !== "GET" && request.method !== "HEAD")
          return new Response("method not allowed\n", {
            status: 405,
            headers: { ...id, allow: "GET, HEAD" },
          });
        // HEAD is answered the GET's answer: Bun sends its headers alone, its Content-Length the
        // body's, as the main port's HEAD does (an empty answer would say 0).
        let text: string;
        try {
          text = await metrics.scrape();
        } catch (error) {
          logger.error("metrics scrape failed", {
            request_id: id["x-request-id"],
            error: describeError(error),
          });
          return new Response("the metrics could not be read: see the gateway's log\n", {
            status: 500,
            headers: { ...id, "content-type": "text/plain;charset=utf-8" },
          });
        }
        return new Response(text, { headers: { ...id, "content-type": metrics.contentType } });
      },
    });
  } catch (error) {
    const hint = `give metrics.listen an address of this machine and a port (0.0.0.0:${port}: every IPv4 interface; 127.0.0.1:${port}: this host alone)`;
    throw new SettingListenError("metrics.listen", listenFailure(address, error), hint);
  }
  // Port 0 picks a free port; the log line names the one taken.
  return { url: `${httpOrigin(hostname, server.port ?? port)}/metrics`, stop: () => void server.stop(true) };
}
