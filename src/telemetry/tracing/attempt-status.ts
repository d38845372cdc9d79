import type { GatewayError } from "../../core/gateway-error.ts";

/**
 * Whether an upstream call's span is in error: it failed, unless its client left (`client_closed`),
 * which is no failure of the call's own. Its span is then unset, as the server span of the
 * request's 499 is and as the worker hop's span of a cancel is; its `error.type` still says so.
 */
export const callInError = (error: GatewayError | undefined): error is GatewayError =>
  error !== undefined && error.code !== "client_closed";
