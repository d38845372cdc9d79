import { GatewayError } from "../../core/gateway-error.ts";
import { upstreamName } from "../upstream-name.ts";

/**
 * What each error code of a connection that failed means, in words an operator acts on. The codes
 * are the ones Bun's `fetch`, its sockets (the lean client) and `node:http` all set on their errors
 * (`error.code`): a closed set of names, never a host or an address, so a caller may read them.
 */
const CAUSES: Readonly<Record<string, string>> = {
  ENOTFOUND: "DNS lookup failed",
  EAI_AGAIN: "DNS lookup failed",
  EAI_NONAME: "DNS lookup failed",
  ECONNREFUSED: "connection refused",
  ConnectionRefused: "connection refused",
  ECONNRESET: "connection closed before any answer",
  ConnectionClosed: "connection closed before any answer",
  EPIPE: "connection closed before any answer",
  ETIMEDOUT: "connection timed out",
  ConnectionTimeout: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  // A certificate no CA the gateway trusts signed (a private CA: NODE_EXTRA_CA_CERTS, DEPLOYMENT.md).
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS certificate not trusted",
  UNABLE_TO_GET_ISSUER_CERT: "TLS certificate not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS certificate not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted",
  CERT_UNTRUSTED: "TLS certificate not trusted",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  CERT_NOT_YET_VALID: "TLS certificate not yet valid",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate names another host",
  // https to a port that speaks plain HTTP.
  EPROTO: "TLS handshake failed",
};

/** A code as the runtimes write them: a name, bounded; anything else is not quoted. */
const CODE = /^[A-Za-z][A-Za-z0-9_]{1,47}$/;

/**
 * Why a connection failed, for a message: the cause's words and its code (`TLS certificate not
 * trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`), or undefined when the error carries no code (the
 * runtime's own words, which may name the host, stay with the log: `GatewayError.cause`).
 */
export function whyUnreachable(error: unknown): string | undefined {
  const code = errorCode(error);
  if (code === undefined || !CODE.test(code)) return undefined;
  const cause = Object.hasOwn(CAUSES, code)
    ? CAUSES[code]
    : code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")
      ? "TLS handshake failed"
      : "connection failed";
  return `${cause} (${code})`;
}

/** `words` saying a connection failed, and why when the error says (`whyUnreachable`). */
export function withWhy(words: string, error: unknown): string {
  const why = whyUnreachable(error);
  return why === undefined ? words : `${words}: ${why}`;
}

/** A thrown error's `code`, when it has one (every runtime error of a failed connection does). */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" ? code : undefined;
}

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
