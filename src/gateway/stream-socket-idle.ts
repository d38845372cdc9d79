import type { Config } from "../config/config-schema.ts";

/** Bun's largest per-request idle timeout, in seconds. */
const MOST_SECONDS = 255;

/**
 * How long a stream's connection may go without a byte either way, in seconds (Bun's
 * `server.timeout` for that request): `server.idle_timeout` closes any connection that quiet, and
 * a stream is quiet while its upstream thinks. The gateway bounds that itself (an attempt's
 * `first_byte` and `idle` timeouts end it with an error event the client reads), so a stream's
 * socket is held as long as the longest of those, plus `server.idle_timeout` (`idleTimeoutMs`, the
 * listener's: restart-only) for the client's own pause: a silence the config allows is never cut
 * as if the client had left. Past 255 s, Bun's most, what keeps the socket is the stream's
 * keep-alive comments (`routing.stream_keepalive`: `streamSocketWarning`).
 */
export function streamSocketIdleSeconds(config: Config, idleTimeoutMs: number): number {
  return Math.min(MOST_SECONDS, Math.ceil((longestSilenceMs(config) + idleTimeoutMs) / 1000));
}

/**
 * Why a stream may be cut as if its client had left, when it may: a silence the attempt timeouts
 * allow outlasts the 255 s a stream's socket may stay quiet, and no keep-alive comment comes
 * before then (`routing.stream_keepalive` off, or as long). `mindgw config check` prints it.
 */
export function streamSocketWarning(config: Config): string | undefined {
  const longestMs = longestSilenceMs(config);
  const everyMs = config.routing.stream_keepalive;
  if (longestMs <= MOST_SECONDS * 1000 || (everyMs > 0 && everyMs < MOST_SECONDS * 1000)) return undefined;
  const keepAlive = everyMs === 0 ? "is off" : `(${everyMs / 1000}s) comes too late`;
  return `warning: the attempt timeouts let a stream wait ${longestMs / 1000}s on its upstream, longer than its connection may stay quiet (${MOST_SECONDS}s, Bun's most), and routing.stream_keepalive ${keepAlive}: a stream that quiet is cut as if its client had left; set routing.stream_keepalive under ${MOST_SECONDS}s`;
}

/** The longest wait on an upstream the attempt timeouts allow (`first_byte`, `idle`; any provider's or route's), in ms. */
function longestSilenceMs(config: Config): number {
  let longest = Math.max(config.routing.timeouts.first_byte, config.routing.timeouts.idle);
  const overrides = [
    ...config.providers.map((provider) => provider.timeouts),
    ...config.models.flatMap((model) => model.routes.map((route) => route.timeouts)),
  ];
  for (const timeouts of overrides)
    longest = Math.max(longest, timeouts?.first_byte ?? 0, timeouts?.idle ?? 0);
  return longest;
}
