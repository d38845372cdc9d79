import type { ProviderCall } from "../../providers/provider.ts";
import { CHAT_ANSWER } from "../../routing/router-test-kit.ts";
import { SERVED_BY_HEADER } from "../../workers/gateway/tunnel-exchange.ts";
import { WorkerUpstreamFault } from "../../workers/gateway/tunnel-failures.ts";
import { createWorkersProvider, noWorkerTakes } from "../../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../../workers/gateway/worker-registry.ts";
import { type ForwardRequest, forwardRefusal } from "../forward-endpoint.ts";
import { createForwardingProvider } from "../forwarding-provider.ts";
import type { NodeEntry } from "../node-entry.ts";
import { listedDirectory } from "./listed-directory.ts";

// The calling node's side of forwarding under test: the directory as last read, the other nodes
// answering through an injected fetch as their forward endpoint does (forwarding-*.test.ts).

/** A node entry as the directory lists it. */
export const node = (id: string, workers: NodeEntry["workers"], forwardVersion = 3): NodeEntry => ({
  id,
  url: `http://${id}.invalid`,
  at: 0,
  workers,
  ...(forwardVersion ? { forwardVersion } : {}),
});
export const platform = "default";
/** Node b: one worker of room 4 that serves the Responses API. */
export const B = node("node-b", [
  { name: "wb", tenant: platform, models: ["m"], inFlight: 0, capacity: 4, responsesApi: true },
]);
/** Node c: a worker of room 8, and one of room 4 with 3 in flight that serves the Responses API. */
export const C = node("node-c", [
  { name: "wc", tenant: platform, models: ["m"], inFlight: 0, capacity: 8 },
  { name: "wr", tenant: platform, models: ["m"], inFlight: 3, capacity: 4, responsesApi: true },
]);

/**
 * `unreachable` nodes refuse connections; `upstreamDown` nodes answer every forward as their
 * forward endpoint does when the worker reports its own model server unreachable.
 */
export function setup(
  unreachable: readonly string[] = [],
  entries: NodeEntry[] = [B, C],
  upstreamDown: readonly string[] = [],
  /** Nodes that answer 500 without saying which worker answered (no served-by header). */
  unnamedFailing: readonly string[] = [],
  /** Nodes whose only worker for the model drains: refused as their forward endpoint refuses it. */
  draining: readonly string[] = [],
  /** Nodes whose workers for the model are full by the time the forward comes: refused so. */
  full: readonly string[] = [],
  /** Nodes whose worker for the model left by the time the forward comes: refused as none serves it. */
  notServed: readonly string[] = [],
  /** Nodes whose worker's model server answers 503 with a `Retry-After` (the seconds, by node). */
  serverBusy: Readonly<Record<string, string>> = {},
) {
  const sent: { node: string; request: ForwardRequest }[] = [];
  const registry = createWorkerRegistry();
  const fetchFake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (unreachable.includes(url.hostname.replace(".invalid", "")))
      throw Object.assign(new Error(`connection refused by ${url.host}`), { code: "ECONNREFUSED" });
    const request = JSON.parse(String(init?.body)) as ForwardRequest;
    const id = url.hostname.replace(".invalid", "");
    sent.push({ node: id, request });
    if (upstreamDown.includes(id))
      return forwardRefusal(
        new WorkerUpstreamFault({
          status: 502,
          code: "upstream_error",
          message: `worker ${request.worker}: could not reach the upstream`,
          retryable: true,
        }),
        id,
      );
    const serverRetryAfter = serverBusy[id];
    if (serverRetryAfter !== undefined)
      return forwardRefusal(
        new WorkerUpstreamFault({
          status: 503,
          code: "upstream_error",
          message: "the worker's model server answered 503",
          retryable: true,
          headers: { "retry-after": serverRetryAfter },
        }),
        id,
      );
    if (draining.includes(id)) return forwardRefusal(noWorkerTakes("m", "draining"), id);
    if (full.includes(id)) return forwardRefusal(noWorkerTakes("m", "full"), id);
    if (notServed.includes(id)) return forwardRefusal(noWorkerTakes("m", "not_served"), id);
    if (unnamedFailing.includes(id))
      return new Response('{"error":{"message":"model server crashed"}}', {
        status: 500,
        headers: { "content-type": "application/json" },
      });
    return new Response(CHAT_ANSWER, {
      headers: { "content-type": "application/json", [SERVED_BY_HEADER]: `worker:x@${url.hostname}` },
    });
  };
  const provider = createForwardingProvider({
    local: createWorkersProvider(registry),
    registry,
    directory: listedDirectory(entries),
    secret: "s".repeat(32),
    fetch: fetchFake as typeof fetch,
  });
  return { provider, sent, registry };
}

/** A provider call of `operation` for model `m`, with the client's headers, query and body bytes. */
export const call = (operation: ProviderCall["operation"]): ProviderCall => ({
  operation,
  body: { model: "m" },
  stream: false,
  requestId: "r1",
  signal: new AbortController().signal,
  timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
  native: {
    headers: { "openai-beta": "x" },
    query: "?q=1",
    bytes: new TextEncoder().encode('{"model":"m" }'),
  },
});

/** What `act` threw. */
export function caught(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}
