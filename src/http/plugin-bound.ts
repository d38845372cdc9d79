import { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";

/**
 * How long an embedder's plug-in may take over one request's call (an authenticator's answer, a
 * policy's admission): past it the request is answered 503 and gives its slot back, where a call
 * that never settled held both until its client left (`GatewayOptions.pluginTimeoutMs`). Only the
 * embedder's own call is bound: the built-in parts around it (a web session's read, a key's chain)
 * and the built-in authenticator and policy wait on stores, which a stop's deadline ends. No timer
 * per request: the open requests' poll (shutdown.ts) reads the deadline. The plug-in is not told:
 * what it answers later is dropped.
 */
export interface PluginBound {
  /** The plug-in, as the answer and the warning name it: `the embedder's authenticator`. */
  readonly plugin: string;
  readonly ms: number;
  /** Told of each call past the bound: a warning at the first, then at most one every 30 s. */
  late(): void;
}

/**
 * One call of a plug-in's, as the wait of the request that made it reads it: past `deadline` it is
 * late; once it has answered, its deadline is Infinity (what the request waits on after it, a part
 * of the gateway's, is not the plug-in's).
 */
export interface PluginCall {
  readonly bound: PluginBound;
  deadline: number;
}

/** A call of the plug-in's, starting now. */
export const pluginCall = (bound: PluginBound): PluginCall => ({
  bound,
  deadline: performance.now() + bound.ms,
});

/** The default `pluginTimeoutMs`. */
export const PLUGIN_TIMEOUT_MS = 10_000;

/** `GatewayOptions.pluginTimeoutMs` as given: a positive, finite number of ms, else refused. */
export function pluginTimeoutMs(given: number | undefined): number {
  if (given === undefined) return PLUGIN_TIMEOUT_MS;
  if (typeof given !== "number" || !Number.isFinite(given) || given <= 0)
    throw new TypeError(
      `pluginTimeoutMs must be a positive, finite number of milliseconds (default ${PLUGIN_TIMEOUT_MS}); got ${String(given)}`,
    );
  return given;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function pluginBound(plugin: string, ms: number, logger: Logger): PluginBound {
  const failed = repeatedFailure(logger, plugin);
  const why = new Error(
    `no answer within ${seconds(ms)} (pluginTimeoutMs): its request was answered 503, and what it answers later is dropped`,
  );
  return { plugin, ms, late: () => failed(why) };
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
