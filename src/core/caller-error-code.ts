import type { ErrorCode } from "./gateway-error.ts";

/**
 * The gateway's code for a caller's 4xx from an upstream whose words give none more telling (a
 * context too long, say): by its status. A 404 is `not_found`, not `model_not_found`: the caller's
 * 404s are about what it sent (an item, an endpoint for its operation), and a 404 naming the route's
 * model is the route's own failure (core/upstream-fault.ts).
 */
export function callerErrorCode(status: number): ErrorCode {
  if (status === 404) return "not_found";
  return status === 413 ? "payload_too_large" : "invalid_request";
}
