import { GatewayError } from "../../core/gateway-error.ts";

/** Every worker (or the one named) is busy: 503, retried elsewhere; the client told to come back in a second. */
export const capacityRefusal = (message: string) =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message,
    retryable: true,
    headers: { "retry-after": "1" },
  });
