import { GatewayError } from "../../core/gateway-error.ts";

/**
 * Turns a non-2xx upstream answer into a GatewayError. A 4xx that is the caller's fault
 * (bad request, context too long) is relayed with its own status and message and is not
 * retried; throttling and server faults may succeed elsewhere, so they are retryable and
 * surface as 502 once every route is exhausted.
 */
export function upstreamFailure(provider: string, status: number, message: string | undefined): GatewayError {
  const callerFault = status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
  if (callerFault) {
    return new GatewayError({
      status: status === 401 || status === 403 ? 502 : status,
      code: status === 404 ? "model_not_found" : "invalid_request",
      message:
        status === 401 || status === 403
          ? `upstream ${provider} rejected the gateway's credentials`
          : (message ?? `upstream ${provider} rejected the request (${status})`),
    });
  }
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `upstream ${provider} answered ${status}`,
    retryable: true,
  });
}

/** A fetch that failed before any answer: refused, reset, DNS. Always worth another route. */
export const unreachable = (provider: string) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `could not reach upstream ${provider}`,
    retryable: true,
  });

/**
 * A same-dialect upstream's error, kept verbatim: its status, body, content type and
 * `Retry-After` reach the caller as the upstream sent them, with the same retry verdict as
 * `upstreamFailure`. Only a refusal of the gateway's own credentials (401/403) is not the
 * caller's business and stays a 502 in the gateway's words.
 */
export function nativeFailure(
  provider: string,
  status: number,
  headers: Headers,
  body: string,
  message: string | undefined,
): GatewayError {
  const mapped = upstreamFailure(provider, status, message);
  if (status === 401 || status === 403) return mapped;
  const relayed: Record<string, string> = {
    "content-type": headers.get("content-type") ?? "application/json",
  };
  const retryAfter = headers.get("retry-after");
  if (retryAfter) relayed["retry-after"] = retryAfter;
  return new GatewayError({
    status,
    code: mapped.code,
    message: mapped.message,
    retryable: mapped.retryable,
    headers: relayed,
    body,
  });
}
