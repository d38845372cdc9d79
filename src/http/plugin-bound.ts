import { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";

/**
 * How long an embedder's plug-in may take over one request's call (an authenticator's answer, a
 * policy's admission): past it the request is answered 503 and gives its slot back, where a call
 * that never settled held both until its client left (`GatewayOptions.pluginTimeoutMs`). Only an
 * embedder's plug-ins are bound: the built-in ones wait on stores, which a stop's deadline ends.
 * No timer per request: the open requests' poll (shutdown.ts) reads the deadline.
 */
export interface PluginBound {
  /** The plug-in, as the answer and the warning name it: `the embedder's authenticator`. */
  readonly plugin: string;
  readonly ms: number;
  /** Told once for each call past the bound: the warning, with the request's id. */
  late(requestId: string): void;
}

/** The default `pluginTimeoutMs`. */
export const PLUGIN_TIMEOUT_MS = 10_000;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function pluginBound(plugin: string, ms: number, logger: Logger): PluginBound {
  return {
    plugin,
    ms,
    late: (requestId) =>
      logger.warn(`${plugin} did not answer within ${seconds(ms)}: its request was answered 503`, {
        request_id: requestId,
      }),
  };
}

/** The answer to a request whose plug-in ran past its bound: to try again, as a 503 is. */
export const pluginTimedOut = (bound: PluginBound): GatewayError =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message: `${bound.plugin} did not answer in time; try again later`,
    retryable: true,
    headers: { "retry-after": "1" },
  });
