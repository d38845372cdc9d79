import { z } from "zod";

// `scheme://[userinfo@]host:` then the path, query, fragment or the end: a colon with no port.
const EMPTY_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]/?#]*\]|[^:/?#]*):(?=[/?#]|$)/i;

/**
 * A URL field of the config: zod's URL check, and no empty port. A URL parser reads
 * `http://127.0.0.1:/v1` as the scheme's default port (80), so a port left out by mistake (a
 * `${PORT:-}` that came out empty) would send traffic where nobody meant it to go.
 */
export function configUrl(options?: { protocol?: RegExp; message?: string }) {
  const { protocol, message } = options ?? {};
  return z
    .url({ ...(protocol && { protocol }), ...(message && { error: message }) })
    .refine((url) => !EMPTY_PORT.test(url), {
      message: "the port after ':' is empty (write the port, or leave out the ':')",
    });
}

/** The schemes Bun's Redis client speaks; it throws at connect on any other. */
const REDIS_SCHEME = /^(redis|rediss|valkey|valkeys|redis\+tls|redis\+unix|redis\+tls\+unix):\/\//;

/**
 * A Redis URL field of the config (`cluster.redis_url`, `events.redis_stream.url`), checked as
 * Bun's client reads it: one with no scheme is `valkey://` and is kept so, so that its password is
 * redacted as any URL's; another scheme is refused here, where it failed at start in a stack trace.
 */
export function redisUrl() {
  return z
    .string()
    .min(1)
    .transform((url) => (url.includes("://") ? url : `valkey://${url}`))
    .refine((url) => REDIS_SCHEME.test(url) && URL.canParse(url), {
      message:
        "not a Redis URL (redis://, rediss://, valkey://, valkeys://, redis+tls://, redis+unix://, redis+tls+unix://)",
    });
}
