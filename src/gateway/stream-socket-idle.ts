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
 * as if the client had left.
 */
export function streamSocketIdleSeconds(config: Config, idleTimeoutMs: number): number {
  let longest = Math.max(config.routing.timeouts.first_byte, config.routing.timeouts.idle);
  const overrides = [
    ...config.providers.map((provider) => provider.timeouts),
    ...config.models.flatMap((model) => model.routes.map((route) => route.timeouts)),
  ];
  for (const timeouts of overrides)
    longest = Math.max(longest, timeouts?.first_byte ?? 0, timeouts?.idle ?? 0);
  return Math.min(MOST_SECONDS, Math.ceil((longest + idleTimeoutMs) / 1000));
}
