import { unavailable } from "../core/gateway-error.ts";

/**
 * What a request gets while the audit log cannot be written (disk full, read-only file) and
 * `audit.fail_open` is false: serving it would leave it unaudited. Retryable: the writer keeps
 * retrying and the gateway serves again as soon as a write succeeds.
 */
export const auditUnavailable = () =>
  unavailable("the audit log cannot be written; try again later", "audit_unavailable");
