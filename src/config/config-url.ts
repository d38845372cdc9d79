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
