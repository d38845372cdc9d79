import { afterEach } from "bun:test";
import type { ServerWebSocket } from "bun";
import { Elysia } from "elysia";
import type { ProviderCall } from "../../providers/provider.ts";
import { workerWebSocketConfig } from "../../workers/gateway/worker-endpoint.ts";
import { createWorkersProvider } from "../../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../../workers/gateway/worker-registry.ts";
import { encodeFrame } from "../../workers/protocol.ts";
import {
  MAX_MESSAGE_BYTES,
  startGatewayWithWorker,
  type TestGateway,
  waitFor,
} from "../../workers/testing/tunnel-harness.ts";
import { silentLog, type WorkerLog } from "../../workers/worker-log.ts";
import { createForwardingProvider } from "../forwarding-provider.ts";
import { type LinkEndpointDeps, linkEndpoint } from "../link-endpoint.ts";
import { LINK_VERSION, type NodeEntry } from "../node-entry.ts";
import { type PeerLink, PeerLinks } from "../peer-link.ts";
import { listedDirectory } from "./listed-directory.ts";

// The two nodes of the peer-link*.test.ts files: node a, which forwards over a link, and node b,
// a worker's gateway with the link endpoint; and the bare peers that test a link's heartbeats.

export const SECRET = "cluster-secret-for-tests";

/** A stream opened over a link: its head as the peer answers it, or its failure. */
export function heldStream(tunnel: Awaited<ReturnType<PeerLink["ready"]>>) {
  if (!tunnel) throw new Error("the link did not open");
  const head = tunnel.open({
    path: "/chat/completions",
    body: { model: "m" },
    stream: true,
    requestId: "r1",
    signal: new AbortController().signal,
    worker: "w",
  });
  return { head };
}

/**
 * A bare node's link endpoint on a loopback port, for a test to stop: it upgrades every request (any
 * other is a 400), tells `open` of each link it takes, and hands `text` each message as text (alone,
 * or inside a batch message as its JSON).
 */
export function bareLinkPeer(handlers: {
  open?: (ws: ServerWebSocket<undefined>) => void;
  text?: (ws: ServerWebSocket<undefined>, text: string) => void;
}) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) =>
      server.upgrade(request) ? undefined : new Response("upgrade only", { status: 400 }),
    websocket: {
      open: (ws) => handlers.open?.(ws),
      message(ws, message) {
        handlers.text?.(ws, typeof message === "string" ? message : new TextDecoder().decode(message));
      },
    },
  });
}

export const peerAt = (id: string, port: number, worker = "gpu-1"): NodeEntry => ({
  id,
  url: `http://127.0.0.1:${port}`,
  at: 0,
  workers: [{ name: worker, tenant: "default", models: ["llama-small"], inFlight: 0, capacity: 16 }],
  forwardVersion: 3,
  linkVersion: LINK_VERSION,
});

/**
 * What a peer-link test file builds its nodes with; call it at the top of the file: it registers
 * the hook that stops what each test started (`cleanups`, last first) once the test ends.
 */
export function peerLinkTestbed() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /**
   * Node b: a worker (real, over its WebSocket) on a test gateway, and the peer-link endpoint on a
   * server of its own sharing that gateway's registry, so the link can be dropped and brought back
   * while the worker stays connected.
   */
  async function nodeB(
    log: WorkerLog = silentLog,
    drain: Pick<LinkEndpointDeps, "incoming" | "lifecycle"> = {},
    name = "gpu-1",
    nodeId = "node-b",
  ) {
    const { upstream, gateway, stop } = await startGatewayWithWorker(cleanups, {
      models: ["llama-small"],
      labels: {},
      name,
    });
    await waitFor("the worker to register", () => gateway.registry.serves("llama-small"));
    const link = linkServer(gateway, 0, nodeId, log, drain);
    cleanups.push(async () => {
      await link.current.stop(true);
    });
    /** Stops the worker (SIGTERM): it drains, taking nothing new while its calls finish. */
    const stopWorker = () => stop.abort();
    return { upstream, gateway, link, stopWorker };
  }

  function linkServer(
    gateway: TestGateway,
    port: number,
    nodeId = "node-b",
    log: WorkerLog = silentLog,
    drain: Pick<LinkEndpointDeps, "incoming" | "lifecycle"> = {},
  ) {
    const start = (at: number) =>
      new Elysia({ websocket: workerWebSocketConfig(MAX_MESSAGE_BYTES) })
        .use(
          linkEndpoint({
            secret: SECRET,
            nodeId,
            registry: gateway.registry,
            log,
            maxMessageBytes: MAX_MESSAGE_BYTES,
            ...drain,
          }),
        )
        .listen({ hostname: "127.0.0.1", port: at });
    const server = { current: start(port), port: 0 };
    server.port = server.current.server?.port ?? 0;
    return {
      get current() {
        return server.current;
      },
      port: server.port,
      /** Drops every link (the server closes its sockets), then listens again on the same port. */
      async restart() {
        await server.current.stop(true);
        server.current = start(server.port);
      },
    };
  }

  /**
   * A node's link endpoint reduced to its heartbeats: each one the link sends is counted and told to
   * `onBeat`. `answers`: each is answered, and each request with a stream's head and nothing more;
   * off, the node answers nothing (frozen, cut off).
   */
  function heartbeatPeer(options: { answers: boolean; onBeat?: (count: number) => void }) {
    const beats = { count: 0 };
    const server = bareLinkPeer({
      text(ws, text) {
        for (const _ of text.matchAll(/"type":"heartbeat"/g)) {
          beats.count += 1;
          options.onBeat?.(beats.count);
          if (options.answers) ws.send(encodeFrame({ type: "heartbeat", at: Date.now() }));
        }
        for (const [, id] of text.matchAll(/"type":"request","id":"(\d+)"/g))
          if (options.answers && id)
            ws.send(encodeFrame({ type: "head", id, status: 200, contentType: "text/event-stream" }));
      },
    });
    cleanups.push(() => server.stop(true));
    return { url: `http://127.0.0.1:${server.port}`, beats };
  }

  /**
   * Node a: no worker of its own; `peers` (node b alone by default) in its directory, in that order.
   * `send`: the HTTP forward's `fetch` (default: one that refuses, as a node gone would).
   */
  function nodeA(port: number, secret = SECRET, peers = [peerAt("node-b", port)], send?: typeof fetch) {
    const links = new PeerLinks({ secret, maxMessageBytes: MAX_MESSAGE_BYTES, log: silentLog });
    cleanups.push(() => links.close());
    const httpForwards: string[] = [];
    const registry = createWorkerRegistry();
    const provider = createForwardingProvider({
      local: createWorkersProvider(registry),
      registry,
      directory: listedDirectory(peers),
      secret,
      links,
      // The HTTP forward, had it been taken: noted, and refused unless the test sends it.
      fetch: (async (url: string, init?: RequestInit) => {
        httpForwards.push(String(url));
        if (send) return send(url, init);
        throw new Error("no HTTP forward in this test");
      }) as unknown as typeof fetch,
    });
    const made = (init: Partial<ProviderCall> & { body: ProviderCall["body"] }): ProviderCall => ({
      operation: "chat",
      stream: false,
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      signal: new AbortController().signal,
      timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 },
      ...init,
    });
    // As the router calls it: narrowed to one worker first.
    const call = (init: Partial<ProviderCall> & { body: ProviderCall["body"] }) =>
      (provider.select?.("llama-small", undefined, "default") ?? provider).call(made(init));
    /**
     * A call no worker is named for, as a node gets one after the node of the worker chosen refused
     * it, or a call nothing narrowed: the node picks among its own.
     */
    const callAny = (init: Partial<ProviderCall> & { body: ProviderCall["body"] }) =>
      provider.call(made(init));
    return { provider, call, callAny, links, httpForwards };
  }

  return { cleanups, nodeA, nodeB, linkServer, heartbeatPeer };
}
