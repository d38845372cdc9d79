import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { traceContextHeaders } from "../core/tracestate.ts";
import { errorCode, withWhy } from "../core/why-unreachable.ts";
import type { ProviderCall, ForwardRequest as StoredForward } from "../providers/provider.ts";
import { busyWait } from "../workers/gateway/capacity-refusal.ts";
import { WorkerReplaced, WorkerUpstreamFault } from "../workers/gateway/tunnel-failures.ts";
import { CLUSTER_HEADER } from "./cluster-secret.ts";
import { FORWARD_CANCEL_TIMEOUT_MS } from "./forward-cancels.ts";
import {
  CANCEL_PATH,
  FORWARD_ERROR_HEADER,
  FORWARD_PATH,
  type ForwardCancel,
  type ForwardRefusal,
  type ForwardRequest,
  STORED_PATH,
  type StoredRequest,
} from "./forward-endpoint.ts";
import { type NodeEntry, TENANT_FORWARD_VERSION, TIMED_OUT_FORWARD_VERSION } from "./node-entry.ts";

/** How this node reaches another over HTTP: its `fetch`, and the cluster secret each request carries. */
export interface PeerHttp {
  readonly send: typeof fetch;
  readonly secret: string;
}

/**
 * The codes of a connection that never opened (Bun's `fetch` says ECONNREFUSED and ENOTFOUND on
 * loopback, forward-over-http.test.ts): nothing reached the other node, so nothing runs there. A
 * failure after it opened (ECONNRESET: the forward may have been delivered and started) is not one.
 */
const NEVER_CONNECTED = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ETIMEDOUT",
  "ConnectionTimeout",
]);

/** A byte order mark, if a client sent one, stays part of the text. */
const BODY_TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The call posted to `peer`'s `/cluster/v1/forward`, `worker` the one pinned there (if any): the
 * node's answer as it came, a refusal included (`FORWARD_ERROR_HEADER`). Throws what `fetch`
 * throws (the node is gone).
 */
export function forwardOverHttp(
  http: PeerHttp,
  peer: NodeEntry,
  call: ProviderCall,
  tenant: string,
  worker: string | undefined,
): Promise<Response> {
  // A node from before the second format refuses its fields: it gets the first (and one from
  // before the third, the second). Such a node lists no tenant's workers, so none is chosen.
  const version = peer.forwardVersion ?? 1;
  const current = version >= 2;
  const native = current ? call.native : undefined;
  const pinned = current ? worker : undefined;
  const request: ForwardRequest = {
    operation: call.operation as ForwardRequest["operation"],
    body: call.body,
    stream: call.stream,
    requestId: call.requestId,
    forwardId: crypto.randomUUID(),
    ...(version >= TENANT_FORWARD_VERSION ? { tenant } : {}),
    ...(pinned ? { worker: pinned } : {}),
    ...(native
      ? {
          native: {
            headers: { ...native.headers },
            query: native.query,
            ...(native.path ? { path: native.path } : {}),
          },
          ...(native.bytes ? { bodyText: BODY_TEXT.decode(native.bytes) } : {}),
        }
      : {}),
  };
  // Closing our end of the connection does not reliably reach the other node's handler once
  // it streams, so leaving (client gone, timeout) is said explicitly, and, as a peer link's cancel
  // does, whether the call's longest bound cut it before its first byte (`timedOut`): the other
  // node judges its worker's server by it (forward-endpoint.ts). A node from before takes no such field.
  const cancel = () => {
    const timedOut = version >= TIMED_OUT_FORWARD_VERSION && call.cancel?.cutAtLongestBound?.() === true;
    const said: ForwardCancel = timedOut
      ? { forwardId: request.forwardId, timedOut }
      : { forwardId: request.forwardId };
    http
      .send(`${peer.url}${CANCEL_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", [CLUSTER_HEADER]: http.secret },
        body: JSON.stringify(said),
        signal: AbortSignal.timeout(FORWARD_CANCEL_TIMEOUT_MS),
      })
      .catch(() => {});
  };
  call.signal.addEventListener("abort", cancel, { once: true });
  // Nothing runs there once the node refused the forward (a wrong secret's refusal included: it
  // would log and audit the cancel as a second one) or was never connected to: no cancel is owed.
  // A connection lost once open (reset) may have delivered the forward: the cancel stays owed.
  const owesNoCancel = () => call.signal.removeEventListener("abort", cancel);
  const sent = http.send(`${peer.url}${FORWARD_PATH}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [CLUSTER_HEADER]: http.secret,
      "x-request-id": call.requestId,
      ...traceContextHeaders(
        call.traceparent === undefined ? undefined : String(call.traceparent),
        call.tracestate,
      ),
    },
    body: JSON.stringify(request),
    signal: call.signal,
  });
  return sent.then(
    (response) => {
      if (response.headers.has(FORWARD_ERROR_HEADER)) owesNoCancel();
      return response;
    },
    (error: unknown) => {
      const code = errorCode(error);
      if (code !== undefined && NEVER_CONNECTED.has(code)) owesNoCancel();
      throw error;
    },
  );
}

/** A stored response a worker on `peer` holds, read or removed through that node. */
export async function forwardStored(
  http: PeerHttp,
  peer: NodeEntry,
  worker: string,
  tenant: string,
  request: StoredForward,
): Promise<Response> {
  const body: StoredRequest = {
    worker,
    tenant,
    method: request.method,
    path: request.path,
    query: request.query,
    headers: { ...request.headers },
    requestId: request.requestId,
  };
  const response = await http
    .send(`${peer.url}${STORED_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [CLUSTER_HEADER]: http.secret,
        ...traceContextHeaders(request.traceparent, request.tracestate),
      },
      body: JSON.stringify(body),
      signal: request.signal,
    })
    .catch((error: unknown) => {
      if (request.signal.aborted) throw request.signal.reason;
      throw unreachable(peer, error);
    });
  if (response.headers.has(FORWARD_ERROR_HEADER)) throw await refusal(response, peer.id);
  return response;
}

/**
 * A node that cannot be reached (killed, stopped): its workers are gone from there, not failing.
 * Retryable, so the call moves on to the next node serving the model, and `unavailable`, which a
 * route's breaker ignores as it does a lost worker: the workers reconnect to another node within
 * their backoff and must be served there at once, not after a cooldown (routing/try-route.ts).
 * Said as an upstream's is, by the cause's class and code (`node n2 unreachable: DNS lookup failed
 * (ENOTFOUND)`); the runtime's words, which name the node's host, are the log's (`cause`).
 */
export const unreachable = (peer: NodeEntry, error: unknown): GatewayError =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message: withWhy(`node ${peer.id} unreachable`, error),
    retryable: true,
    cause: error,
  });

/** The other node's own refusal (no worker with room, worker lost), kept as the same error. */
export async function refusal(response: Response, node: string): Promise<GatewayError> {
  const body = (await response.json().catch(() => ({}))) as Partial<ForwardRefusal> & {
    /** A refusal the node's app answered (a wrong secret): an OpenAI error body. */
    error?: { message?: string };
  };
  // A 4xx from the node itself (a wrong cluster.secret, a malformed forward) is our
  // misconfiguration, not the client's fault: a 502 that names it.
  if (response.status < 500)
    return upstreamError(
      `node ${node} refused the forward: ${body.message ?? body.error?.message ?? response.status}`,
      false,
    );
  const Failure = body.workerUpstreamFault
    ? WorkerUpstreamFault
    : body.workerReplaced
      ? WorkerReplaced
      : GatewayError;
  // When to come back, as the node said (a draining worker's 5 s): the client is told the same, a
  // busy refusal's as any wait is told (`busyWait`); a model server's own, as an upstream's is.
  const said = response.headers.get("retry-after");
  const retryAfter = said && body.code === "unavailable" && !body.workerUpstreamFault ? busyWait(said) : said;
  return new Failure({
    status: response.status,
    code: body.code ?? "upstream_error",
    message: `${body.message ?? "forward refused"} (on node ${node})`,
    retryable: body.retryable ?? response.status >= 500,
    ...(retryAfter ? { headers: { "retry-after": retryAfter } } : {}),
  });
}
