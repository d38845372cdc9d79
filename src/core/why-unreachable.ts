/**
 * What each error code of a connection that failed means, in words an operator acts on. The codes
 * are the ones Bun's `fetch`, its sockets (the lean client and the worker's WebSocket) and
 * `node:http` all set on their errors (`error.code`): a closed set of names, never a host or an
 * address, so a caller may read them. One table for the gateway's upstreams, its cluster's peers
 * and a worker's connection and model server, so each says a failure in the same words.
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
  ECONNABORTED: "connection closed before any answer",
  EHOSTUNREACH: "host unreachable",
  EHOSTDOWN: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENETDOWN: "network unreachable",
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
 * trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`); a code of no connection's failure is "request failed
 * (ERR_INVALID_URL)". Undefined when the error carries no code (the runtime's own words, which may
 * name the host, stay with the log: `GatewayError.cause`).
 */
export function whyUnreachable(error: unknown): string | undefined {
  const code = errorCode(error);
  if (code === undefined || !CODE.test(code)) return undefined;
  const cause = Object.hasOwn(CAUSES, code)
    ? CAUSES[code]
    : code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")
      ? "TLS handshake failed"
      : // No connection's failure (a URL the runtime would not take, ERR_INVALID_URL; a scheme it
        // has no client for, ERR_INVALID_ARG_VALUE): the request itself was never sent.
        "request failed";
  return `${cause} (${code})`;
}

/** A thrown error's `code`, when it has one (every runtime error of a failed connection does). */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * `words` saying a connection failed, and why when the error says (`whyUnreachable`): what a
 * caller, the audit row and a worker's frame read. The error itself, the runtime's words with the
 * host in them, goes to the log alone (the GatewayError's `cause`).
 */
export function withWhy(words: string, error: unknown): string {
  const why = whyUnreachable(error);
  return why === undefined ? words : `${words}: ${why}`;
}
