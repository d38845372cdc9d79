import { GatewayError } from "../../core/gateway-error.ts";
import { redirectNotFollowed } from "../../core/redirect-words.ts";
import { upstreamName } from "../upstream-name.ts";

/**
 * An upstream that answered a redirect, never followed: the provider's credentials (Anthropic's
 * `x-api-key`, Azure's `api-key`, Gemini's `x-goog-api-key`, a SigV4 signature, a bearer token)
 * and the prompt would go along to wherever it points, in cleartext where that is http. The
 * upstream's failure, as one that answers what cannot be read is (a 200 that is no JSON: a
 * retryable 502, failed over, counted by the route's breaker); it says the status and where the
 * redirect led (`redirectNotFollowed`). A caller reads no URL of the gateway's upstreams (core/for-callers.ts); the log does.
 */
export function upstreamRedirect(provider: string, status: number, location: string | null): GatewayError {
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${upstreamName(provider)} ${redirectNotFollowed(status, location)}`,
    retryable: true,
    upstream: { dialect: undefined, status },
  });
}
