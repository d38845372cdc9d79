import { GatewayError } from "../../core/gateway-error.ts";
import { withWhy } from "../../core/why-unreachable.ts";
import { upstreamName } from "../upstream-name.ts";

/**
 * A fetch that failed before any answer: refused, reset, DNS, TLS. Always worth another route. The
 * caller, the audit row and the `route failed` line read why (`whyUnreachable`); the runtime's own
 * words, which may name the upstream's host, only the log (the error's `cause`).
 */
export function unreachable(provider: string, error?: unknown): GatewayError {
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: withWhy(`could not reach ${upstreamName(provider)}`, error),
    retryable: true,
    ...(error === undefined ? {} : { cause: error }),
  });
}
