import { type ErrorCode, GatewayError, upstreamError } from "../core/gateway-error.ts";
import { readUpstreamReply } from "../providers/http/read-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../providers/provider.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { CLUSTER_HEADER } from "./cluster-secret.ts";
import {
  CANCEL_PATH,
  FORWARD_ERROR_HEADER,
  FORWARD_PATH,
  type ForwardRequest,
  SERVED_BY_HEADER,
} from "./forward-endpoint.ts";
import type { NodeDirectory } from "./node-directory.ts";

export interface ForwardingOptions {
  /** The node's own `workers` provider. */
  local: Provider;
  registry: WorkerRegistry;
  directory: NodeDirectory;
  secret: string;
  fetch?: typeof fetch;
}

/**
 * `provider: workers` on a cluster node: a worker connected here serves the call; else the call
 * goes to the node holding a worker for the model (least loaded first, the next one if that node
 * is gone or refuses before answering). The forwarded answer is read with the same code as any
 * upstream's, so streaming, cancellation (the call's signal aborts the forward), timeouts and
 * failover behave as for a local worker; `servedBy` is `worker:<name>@<node>`.
 */
export function createForwardingProvider(options: ForwardingOptions): Provider {
  const send = options.fetch ?? fetch;
  async function call(call: ProviderCall): Promise<ProviderReply> {
    const model = typeof call.body.model === "string" ? call.body.model : "";
    const peers = options.registry.pick(model) === undefined ? options.directory.peersServing(model) : [];
    if (peers.length === 0) return options.local.call(call);
    let last: unknown;
    for (const peer of peers) {
      const request: ForwardRequest = {
        operation: call.operation as ForwardRequest["operation"],
        body: call.body,
        stream: call.stream,
        requestId: call.requestId,
        forwardId: crypto.randomUUID(),
      };
      // Closing our end of the connection does not reliably reach the other node's handler once
      // it streams, so leaving (client gone, timeout) is said explicitly.
      const cancel = () => {
        send(`${peer.url}${CANCEL_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json", [CLUSTER_HEADER]: options.secret },
          body: JSON.stringify({ forwardId: request.forwardId }),
          signal: AbortSignal.timeout(5000),
        }).catch(() => {});
      };
      call.signal.addEventListener("abort", cancel, { once: true });
      let response: Response;
      try {
        response = await send(`${peer.url}${FORWARD_PATH}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [CLUSTER_HEADER]: options.secret,
            "x-request-id": call.requestId,
            ...(call.traceHeaders ?? {}),
          },
          body: JSON.stringify(request),
          signal: call.signal,
        });
      } catch (error) {
        if (call.signal.aborted) throw call.signal.reason;
        last = upstreamError(
          `node ${peer.id} unreachable: ${error instanceof Error ? error.message : "error"}`,
        );
        continue; // the node is gone (kill -9): the next one that serves the model
      }
      if (response.headers.has(FORWARD_ERROR_HEADER)) {
        last = await refusal(response, peer.id);
        if (last instanceof GatewayError && last.retryable) continue;
        throw last;
      }
      const servedBy = response.headers.get(SERVED_BY_HEADER) ?? `worker@${peer.id}`;
      if (call.native) return { kind: "http", response, servedBy };
      const reply = await readUpstreamReply(servedBy, response, call);
      return { ...reply, servedBy };
    }
    throw last instanceof GatewayError ? last : upstreamError("no node could serve the forwarded call");
  }

  return {
    name: "workers",
    dialect: "openai",
    passThrough: true,
    call,
    listModels: async () => [...new Set([...options.registry.models(), ...options.directory.peerModels()])],
  };
}

/** The other node's own refusal (no worker with room, worker lost), kept as the same error. */
async function refusal(response: Response, node: string): Promise<GatewayError> {
  const body = (await response.json().catch(() => ({}))) as {
    code?: ErrorCode;
    message?: string;
    retryable?: boolean;
  };
  // A 4xx from the node itself (a wrong cluster.secret, a malformed forward) is our
  // misconfiguration, not the client's fault: a 502 that names it.
  if (response.status < 500)
    return upstreamError(`node ${node} refused the forward: ${body.message ?? response.status}`, false);
  return new GatewayError({
    status: response.status,
    code: body.code ?? "upstream_error",
    message: `${body.message ?? "forward refused"} (on node ${node})`,
    retryable: body.retryable ?? response.status >= 500,
  });
}
