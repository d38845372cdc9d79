import { z } from "zod";
import { bool } from "./config-values.ts";

/** `metrics.listen` split: the host as Bun.serve takes it (an IPv6 address without brackets), the port. */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/** `host:port` or `[v6]:port` as a hostname and a port; undefined when it is neither, or the port is past 65535. */
export function listenAddress(text: string): ListenAddress | undefined {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) return undefined;
  return { hostname: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}

/** Prometheus metrics; read at start (a change takes effect at the next restart). */
export const metricsConfigSchema = z.strictObject({
  /** `GET /metrics` on the main listener, for admin-role credentials. */
  enabled: bool().default(true),
  /**
   * Also serve `/metrics` without a credential on this `host:port` (port 0: any free one), for
   * scrapers that hold no key. Never the main listener's own address (`metrics.listen` and
   * `server.host:server.port`, load-config.ts refuses it).
   */
  listen: z
    .string()
    .refine((text) => listenAddress(text) !== undefined, "host:port with a port 0-65535, e.g. 127.0.0.1:9464")
    .optional(),
});

const ANY_ADDRESS = new Set(["0.0.0.0", "::"]);

/**
 * `metrics.listen` on the main listener's port and an address it also takes: the second bind
 * would fail at start ("address already in use") after `config check` passed. Port 0 is always
 * another port; `serve --port` is checked where it binds.
 */
export function metricsListenClash(
  listen: string | undefined,
  server: { host: string; port: number },
): string[] {
  const own = listen === undefined ? undefined : listenAddress(listen);
  if (own === undefined || own.port === 0 || own.port !== server.port) return [];
  const overlap =
    own.hostname === server.host || ANY_ADDRESS.has(own.hostname) || ANY_ADDRESS.has(server.host);
  return overlap
    ? [
        `metrics.listen: ${listen} is the main listener's own address (server.host ${server.host}, server.port ${server.port}): give it a port of its own`,
      ]
    : [];
}

/**
 * `metrics.listen` beside `metrics.enabled: false`: valid, but no listener opens (metrics are off
 * on both): said by `config check` and at start, so the scraper's empty target has a reason.
 */
export function metricsListenIgnored(metrics: {
  enabled: boolean;
  listen?: string | undefined;
}): string | undefined {
  if (metrics.enabled || metrics.listen === undefined) return undefined;
  return `metrics.listen (${metrics.listen}) is ignored: metrics.enabled is false, so no metrics listener opens`;
}
