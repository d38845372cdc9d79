import type { GatewayError } from "../../core/gateway-error.ts";

/**
 * An upstream attempt's `outcome` label: `ok`, or its error's code, but for a 404 no API answered
 * (`noSuchPath`: an operation the route's server lacks, or a wrong `base_url`), which is
 * `no_such_path`. No breaker counts such a 404, and a fallback route serves its callers, so its own
 * value is what lets an alert (MindgwRouteNoSuchPath) say which route is misconfigured: a provider
 * whose attempts in its window were `no_such_path` and none `ok` (a wrong `base_url` serves nothing;
 * a caller asking an operation the server lacks, while it serves others, fires nothing). Bounded:
 * the error codes and these two.
 */
export const attemptOutcome = (error: GatewayError | undefined): string =>
  error === undefined ? "ok" : error.noSuchPath ? "no_such_path" : error.code;
