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
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} answered ${redirectAnswered(status, location)}`,
    retryable: true,
    upstream: { dialect: undefined, status },
  });
}

/**
 * What a redirect answered is said as, after "answered": `307, a redirect to http://host/path,
 * which the gateway does not follow` (where it led named as `urlLabel` names a URL). The words of
 * every upstream call's redirect: a model call's, a worker's listing, a credential request's.
 */
export function redirectAnswered(status: number, location: string | null): string {
  const to = location ? ` to ${urlLabel(location)}` : "";
  return `${status}, a redirect${to}, which the gateway does not follow`;
}
