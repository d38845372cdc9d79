import { GatewayError } from "../../core/gateway-error.ts";
import { urlLabel } from "../../core/url-label.ts";
import { upstreamName } from "../upstream-name.ts";

/** A redirect's status (3xx), which no upstream call follows. */
export const isRedirectStatus = (status: number): boolean => status >= 300 && status <= 399;

/**
 * An upstream that answered a redirect, never followed: the provider's credentials (Anthropic's
 * `x-api-key`, Azure's `api-key`, Gemini's `x-goog-api-key`, a SigV4 signature, a bearer token)
 * and the prompt would go along to wherever it points, in cleartext where that is http. The
 * upstream's failure, as one that answers what cannot be read is (a 200 that is no JSON: a
 * retryable 502, failed over, counted by the route's breaker); it says the status and where the
 * redirect led as `urlLabel` names a URL (no user info, no query, where a key may ride: Gemini's
 * `?key=`). A caller reads no URL of the gateway's upstreams (core/for-callers.ts); the log does.
 */
export function upstreamRedirect(provider: string, status: number, location: string | null): GatewayError {
  const to = location ? ` to ${urlLabel(location)}` : "";
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} answered ${status}, a redirect${to}, which the gateway does not follow`,
    retryable: true,
    upstream: { dialect: undefined, status },
  });
}
