import { afterEach, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import type { GatewayError } from "../core/gateway-error.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import type { ProviderCall } from "../providers/provider.ts";
import { workerWebSocketConfig } from "../workers/gateway/worker-endpoint.ts";
import { createWorkersProvider, isOwnFault } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { encodeFrame } from "../workers/protocol.ts";
import {
  MAX_MESSAGE_BYTES,
  startGateway,
  startGatewayWithWorker,
  type TestGateway,
  waitFor,
} from "../workers/testing/tunnel-harness.ts";
import { silentLog, type WorkerLog } from "../workers/worker-log.ts";
import { createForwardingProvider } from "./forwarding-provider.ts";
import { IncomingLinks } from "./incoming-links.ts";
import { type LinkEndpointDeps, linkEndpoint } from "./link-endpoint.ts";
import { LINK_VERSION, type NodeEntry } from "./node-entry.ts";
import { PeerLink, PeerLinks } from "./peer-link.ts";
import { listedDirectory } from "./testing/listed-directory.ts";

const SECRET = "cluster-secret-for-tests";
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
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) =>
      server.upgrade(request) ? undefined : new Response("upgrade only", { status: 400 }),
    websocket: {
      message(ws, message) {
        // Alone as text, or inside a batch message as its JSON.
        const text = typeof message === "string" ? message : new TextDecoder().decode(message);
        for (const _ of text.matchAll(/"type":"heartbeat"/g)) {
          beats.count += 1;
          options.onBeat?.(beats.count);
          if (options.answers) ws.send(encodeFrame({ type: "heartbeat", at: Date.now() }));
        }
        for (const [, id] of text.matchAll(/"type":"request","id":"(\d+)"/g))
          if (options.answers && id)
            ws.send(encodeFrame({ type: "head", id, status: 200, contentType: "text/event-stream" }));
      },
    },
  });
  cleanups.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, beats };
}

/** A stream opened over a link: its head as the peer answers it, or its failure. */
function heldStream(tunnel: Awaited<ReturnType<PeerLink["ready"]>>) {
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

const peerAt = (id: string, port: number, worker = "gpu-1"): NodeEntry => ({
  id,
  url: `http://127.0.0.1:${port}`,
  at: 0,
  workers: [{ name: worker, tenant: "default", models: ["llama-small"], inFlight: 0, capacity: 16 }],
  forwardVersion: 3,
  linkVersion: LINK_VERSION,
});

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
  const callAny = (init: Partial<ProviderCall> & { body: ProviderCall["body"] }) => provider.call(made(init));
  return { provider, call, callAny, links, httpForwards };
}

describe("cluster peer link", () => {
  test("a forwarded call goes over the link, names the worker and its node, and counts in the worker's load", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const reply = await a.call({ body: { model: "llama-small", messages: [] } });
    expect(reply.kind).toBe("json");
    expect(reply.servedBy).toBe("worker:gpu-1@node-b");
    const held = a.call({
      stream: true,
      requestId: "held",
      body: { model: "llama-small", stream: true, messages: [], fake: { holdHead: true } },
    });
    await waitFor("the held call to reach the upstream", () => b.upstream.seen.has("held"));
    expect(b.gateway.registry.list()[0]?.inFlight).toBe(1);
    b.upstream.release("held");
    await held;
    expect(a.links.status()).toEqual([{ node: "node-b", state: "open", sentOverLink: 2, sentOverHttp: 0 }]);
    expect(a.httpForwards).toEqual([]);
  });

  test("a worker named in letters beyond ASCII is served over the link, named as its own node names it: its head is no protocol error", async () => {
    const name = "gpu-café 🚀";
    const b = await nodeB(silentLog, {}, name);
    const a = nodeA(b.link.port, SECRET, [peerAt("node-b", b.link.port, name)]);
    for (const stream of [false, true]) {
      const reply = await a.call({ stream, body: { model: "llama-small", stream, messages: [] } });
      expect(reply.servedBy).toBe(`worker:${name}@node-b`);
      if (reply.kind === "stream") await Array.fromAsync(reply.events);
    }
    expect(a.links.status()).toEqual([{ node: "node-b", state: "open", sentOverLink: 2, sentOverHttp: 0 }]);
  });

  test("a worker behind the link whose model server does not serve the model it offered (404) fails as that worker's fault, so the next node serving the model is tried", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const refuse = { status: 404, headers: {}, message: "The model `llama-small` does not exist." };
    for (const stream of [false, true]) {
      const failed = (await a
        .call({ stream, body: { model: "llama-small", stream, messages: [], fake: { refuse } } })
        .catch((error: unknown) => error)) as GatewayError;
      expect([failed.status, failed.message, isOwnFault(failed)]).toEqual([
        502,
        "worker gpu-1@node-b's model server does not serve the model it offered (404)",
        true,
      ]);
    }
  });

  test("a worker whose model server does not serve the model it offered is judged on its own node for relayed calls too: 3 in a row take it out of rotation there; a 404 about the request is an answer", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const gpu = b.gateway.registry.get("gpu-1");
    if (!gpu) throw new Error("not registered");
    const relayed = (stream: boolean, message: string) =>
      a
        .call({
          stream,
          body: {
            model: "llama-small",
            stream,
            messages: [],
            fake: { refuse: { status: 404, headers: {}, message } },
          },
        })
        .catch((error: unknown) => error as GatewayError);
    const notServed = "The model `llama-small` does not exist.";
    await relayed(false, notServed);
    await relayed(true, notServed);
    // An item not found is the caller's, an answer of the model server: the count starts again.
    const item = (await relayed(false, "Item with id 'rs_1' not found.")) as GatewayError;
    expect([item.status, isOwnFault(item)]).toEqual([404, false]);
    await relayed(false, notServed);
    await relayed(true, notServed);
    expect(b.gateway.registry.ejectedUntil(gpu)).toBeUndefined();
    await relayed(false, notServed);
    await waitFor(
      "node b to take its worker out of rotation",
      () => b.gateway.registry.ejectedUntil(gpu) !== undefined,
    );
  });

  test("a worker and a node named at their longest in letters of three UTF-8 bytes, each escaped as 9 characters, are served over the link: the head's servedBy is no protocol error", async () => {
    const name = "語".repeat(128);
    const node = "節".repeat(100);
    const b = await nodeB(silentLog, {}, name, node);
    const a = nodeA(b.link.port, SECRET, [peerAt(node, b.link.port, name)]);
    for (const stream of [false, true]) {
      const reply = await a.call({ stream, body: { model: "llama-small", stream, messages: [] } });
      expect(reply.servedBy).toBe(`worker:${name}@${node}`);
      if (reply.kind === "stream") await Array.fromAsync(reply.events);
    }
    expect(a.links.status()).toEqual([{ node, state: "open", sentOverLink: 2, sentOverHttp: 0 }]);
  });

  test("a link's messages reach its frame switch without Elysia's per-message wrapper", async () => {
    const lines: string[] = [];
    const b = await nodeB((_level, message) => void lines.push(message));
    const a = nodeA(b.link.port);
    const reply = await a.call({ body: { model: "llama-small", messages: [] } });
    expect(reply.kind).toBe("json");
    // Elysia (the pinned version) keeps each socket's handlers where the endpoint replaces them.
    expect(lines).not.toContain(
      "cluster link messages take Elysia's own path (its socket data has no message handler)",
    );
    expect(lines.filter((line) => line.includes("handler failed"))).toEqual([]);
  });

  test("a link lost mid-stream fails the stream as a lost worker, cancels it on the worker, and the next call re-opens it", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const reply = await a.call({
      stream: true,
      requestId: "doomed",
      body: { model: "llama-small", stream: true, messages: [], fake: { holdAfterFirst: true, chunks: 5 } },
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const events = reply.events[Symbol.asyncIterator]();
    expect((await events.next()).done).toBe(false);
    await b.link.restart();
    const error = (await events.next().catch((e: unknown) => e)) as GatewayError;
    expect({ code: error.code, message: error.message }).toEqual({
      code: "worker_lost",
      message: "worker gpu-1@node-b was lost",
    });
    // Node b's switch cancelled the stream on the worker, which left its upstream.
    await waitFor("the upstream call to be aborted", () => b.upstream.aborted.has("doomed"));
    await waitFor("the worker's load to drop", () => b.gateway.registry.list()[0]?.inFlight === 0);
    const next = await a.call({ body: { model: "llama-small", messages: [] } });
    expect(next.servedBy).toBe("worker:gpu-1@node-b");
    expect(a.links.status()[0]).toMatchObject({ state: "open", sentOverLink: 2, sentOverHttp: 0 });
  });

  test("a client that leaves cancels the call on the worker behind node b", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const leave = new AbortController();
    const reply = await a.call({
      stream: true,
      requestId: "left",
      signal: leave.signal,
      body: { model: "llama-small", stream: true, messages: [], fake: { holdAfterFirst: true, chunks: 5 } },
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    await reply.events[Symbol.asyncIterator]().next();
    leave.abort();
    await waitFor("the upstream call to be aborted", () => b.upstream.aborted.has("left"));
    await waitFor("the worker's load to drop", () => b.gateway.registry.list()[0]?.inFlight === 0);
  });

  test("a node that refuses before answering (its worker gone) fails over to the next node serving the model", async () => {
    const b = await nodeB();
    // Node x lists the same worker name, but its switch has no worker at all.
    const empty = startGateway();
    cleanups.push(() => empty.stop());
    const x = linkServer(empty, 0, "node-x");
    cleanups.push(async () => {
      await x.current.stop(true);
    });
    const a = nodeA(b.link.port, SECRET, [peerAt("node-x", x.port), peerAt("node-b", b.link.port)]);
    const reply = await a.call({ body: { model: "llama-small", messages: [] } });
    expect(reply.servedBy).toBe("worker:gpu-1@node-b");
    // Alone, node x's refusal is the client's answer, in the words an HTTP forward would use.
    const alone = nodeA(x.port, SECRET, [peerAt("node-x", x.port)]);
    const error = (await alone
      .call({ body: { model: "llama-small", messages: [] } })
      .catch((e: unknown) => e)) as GatewayError;
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({
      status: 503,
      code: "unavailable",
      message: "worker gpu-1 is no longer connected (on node node-x)",
    });
  });

  test("a node whose only worker drains refuses as draining, with its Retry-After, as a single node does", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    // A call under way keeps the stopped worker draining (not gone) until it ends.
    const held = a.call({
      requestId: "held",
      body: { model: "llama-small", messages: [], fake: { holdHead: true } },
    });
    await waitFor("the held call to reach the upstream", () => b.upstream.seen.has("held"));
    b.stopWorker();
    await waitFor("the worker to drain", () => b.gateway.registry.list()[0]?.draining === true);
    // The worker itself refuses a call named for it, as draining (Retry-After 5): so does the
    // node for a call it picks a worker for.
    const error = (await a
      .callAny({ body: { model: "llama-small", messages: [] } })
      .catch((e: unknown) => e)) as GatewayError;
    // It was "every worker serving llama-small is at capacity", Retry-After: 1.
    expect([error.status, error.code, error.message, error.headers]).toEqual([
      503,
      "unavailable",
      "every worker serving llama-small is draining (on node node-b)",
      { "retry-after": "5" },
    ]);
    b.upstream.release("held");
    expect((await held).kind).toBe("json");
  });

  test("a peer that goes silent without closing the link is taken as lost: its streams fail as a lost worker's, the next call opens a new link", async () => {
    // A node that takes the link and then answers nothing, heartbeats included (frozen, cut off).
    const accepted: unknown[] = [];
    const silent = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request, server) =>
        server.upgrade(request) ? undefined : new Response("upgrade only", { status: 400 }),
      websocket: {
        open: (ws) => void accepted.push(ws),
        message() {},
      },
    });
    cleanups.push(() => silent.stop(true));
    const link = new PeerLink({
      node: "node-z",
      url: `http://127.0.0.1:${silent.port}`,
      secret: SECRET,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      log: silentLog,
      heartbeatMs: 20,
    });
    cleanups.push(() => link.close());
    const tunnel = await link.ready();
    if (!tunnel) throw new Error("the link did not open");
    const error = (await tunnel
      .open({
        path: "/chat/completions",
        body: { model: "m" },
        stream: true,
        requestId: "r1",
        signal: new AbortController().signal,
        worker: "w",
      })
      .catch((e: unknown) => e)) as GatewayError;
    expect({ code: error.code, message: error.message }).toEqual({
      code: "worker_lost",
      message: "worker w@node-z was lost",
    });
    expect(link.state).toBe("closed");
    const next = await link.ready();
    expect(next).toBeDefined();
    expect(next).not.toBe(tunnel);
    await waitFor("the second link to reach the node", () => accepted.length === 2);
  });

  test("a node paused (SIGSTOP, a VM migrated) keeps its links and their streams: the heartbeat tick that comes late on resume judges nothing", async () => {
    const peer = heartbeatPeer({ answers: true });
    const link = new PeerLink({
      node: "node-p",
      url: peer.url,
      secret: SECRET,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      log: silentLog,
      heartbeatMs: 100,
    });
    cleanups.push(() => link.close());
    const answer = await heldStream(await link.ready()).head;
    // Its head just read, this process stops for 3.5 heartbeats: on resume its clock says the peer
    // has been silent past the link's three (it dropped the link so, and cut the stream as a lost
    // worker's), what the peer sent meanwhile not yet read. The pause is this test's stimulus.
    Bun.sleepSync(350);
    const body = { outcome: "streaming" as unknown };
    answer.body
      ?.getReader()
      .read()
      .then(
        () => (body.outcome = "ended"),
        (error: unknown) => (body.outcome = error),
      );
    const resumed = peer.beats.count;
    await waitFor(
      "two heartbeat ticks after the pause",
      () => peer.beats.count >= resumed + 2 || link.state !== "open",
    );
    expect([link.state, body.outcome]).toEqual(["open", "streaming"]);
  });

  test("a peer still silent once this node resumes is taken as lost at the next tick on time, no later", async () => {
    const lines: unknown[] = [];
    let clock = 1_000_000;
    // The clock as the link reads it: the pause is seen between the first heartbeat and the
    // second, then each tick comes one heartbeat after the last.
    const peer = heartbeatPeer({ answers: false, onBeat: (count) => (clock += count === 1 ? 265 : 50) });
    const link = new PeerLink({
      node: "node-z",
      url: peer.url,
      secret: SECRET,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      log: (level, message, fields) => void (level === "warn" && lines.push({ message, fields })),
      heartbeatMs: 50,
      now: () => clock,
    });
    cleanups.push(() => link.close());
    // Never answered: its failure is all it can come to.
    const failed = heldStream(await link.ready()).head.catch((e: unknown) => e);
    await waitFor("the link to be taken as lost", () => link.state === "closed");
    // The late tick (265 ms after the first) judged nothing and sent its heartbeat; the next, on time,
    // found the peer silent for 315 ms, past its 150.
    expect(peer.beats.count).toBe(2);
    expect(lines[0]).toEqual({
      message: "cluster peer link silent: taken as lost",
      fields: { node: "node-z", silent_ms: 315 },
    });
    const error = (await failed) as GatewayError;
    expect(error.code).toBe("worker_lost");
  });

  test("closing this node's links (it is stopping) is no loss: nothing is logged as lost", async () => {
    const b = await nodeB();
    const lines: string[] = [];
    const links = new PeerLinks({
      secret: SECRET,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      log: (_level, message) => void lines.push(message),
    });
    const link = links.of(peerAt("node-b", b.link.port));
    expect(await link.ready()).toBeDefined();
    links.close();
    // The state is "closed" once the socket's close has been handled.
    await waitFor("the link to close", () => link.state === "closed");
    expect(lines).toEqual(["cluster peer link open"]);
  });

  test("a node gone from the directory takes its link with it, out of the status too, once no call is under way on it", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port);
    const reply = await a.call({
      stream: true,
      requestId: "leaving",
      body: { model: "llama-small", stream: true, messages: [], fake: { holdAfterFirst: true, chunks: 3 } },
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const link = a.links.of(peerAt("node-b", b.link.port));
    a.links.keepOnly(["node-a", "node-b"]);
    expect(a.links.status()).toMatchObject([{ node: "node-b", state: "open" }]);
    // Gone from the directory (it drains) with a stream under way: the stream goes on to its end.
    a.links.keepOnly(["node-a"]);
    expect(a.links.status()).toMatchObject([{ node: "node-b", state: "open" }]);
    b.upstream.release("leaving");
    const data: string[] = [];
    for await (const event of reply.events) data.push(event.data);
    expect(data.at(-1)).toBe("[DONE]");
    a.links.keepOnly(["node-a"]);
    expect(a.links.status()).toEqual([]);
    await waitFor("its link to close", () => link.state === "closed");
  });

  test("a drain (SIGTERM) closes each link once its streams are over: a stream in flight ends whole though the listener stops the moment the node is idle", async () => {
    const lifecycle = new Lifecycle();
    const incoming = new IncomingLinks();
    const b = await nodeB(silentLog, { lifecycle, incoming });
    const a = nodeA(b.link.port);
    const reply = await a.call({
      stream: true,
      requestId: "drained",
      body: { model: "llama-small", stream: true, messages: [], fake: { holdAfterFirst: true, chunks: 5 } },
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const events = reply.events[Symbol.asyncIterator]();
    expect((await events.next()).done).toBe(false);
    // And a whole answer, its head not sent yet.
    const whole = a.call({
      requestId: "drained-whole",
      body: { model: "llama-small", messages: [], fake: { holdHead: true } },
    });
    await waitFor("the whole call to reach the upstream", () => b.upstream.seen.has("drained-whole"));
    // The stop sequence (gateway/serve-gateway.ts): leave (the links' drain), then the lifecycle
    // drains, and once it is idle the listener stops at once, closing every socket it holds.
    void incoming.drain(lifecycle);
    lifecycle.drain();
    const stopped = lifecycle.idle().then(() => b.link.current.stop(true));
    b.upstream.release("drained");
    b.upstream.release("drained-whole");
    const rest: string[] = [];
    for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.data);
    expect(rest.at(-1)).toBe("[DONE]");
    expect((await whole).kind).toBe("json");
    await stopped;
    expect(lifecycle.active).toBe(0);
    // A link opened while draining is refused: the calling node forwards elsewhere.
    expect(incoming.draining).toBe(true);
  });

  test("a wrong secret is refused at the upgrade: the call goes to the HTTP forward instead", async () => {
    const b = await nodeB();
    const a = nodeA(b.link.port, "not-the-secret");
    const error = (await a.call({ body: { model: "llama-small", messages: [] } }).catch((e: unknown) => e)) as
      | GatewayError
      | undefined;
    expect(error?.message).toContain("node node-b unreachable");
    expect(a.httpForwards).toEqual([`http://127.0.0.1:${b.link.port}/cluster/v1/forward`]);
    expect(a.links.status()).toEqual([{ node: "node-b", state: "closed", sentOverLink: 0, sentOverHttp: 1 }]);
    expect(b.gateway.registry.list()[0]?.inFlight).toBe(0);
  });

  test("a node whose advertise_url never answers (a firewall that drops, a port that accepts and says nothing) is unreachable once its link cannot open: the call goes on to the next node, not into an HTTP forward that waits out the route's timeout", async () => {
    const b = await nodeB();
    // Takes the connection and answers nothing: neither the link's upgrade nor an HTTP forward.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => silent.stop(true));
    const a = nodeA(
      b.link.port,
      SECRET,
      [peerAt("node-d", silent.port), peerAt("node-b", b.link.port)],
      fetch,
    );
    // Bounded here, not by the route's first-byte timeout (120 s by default) a node would wait out.
    const deadline = () => AbortSignal.timeout(10_000);
    const first = await a.callAny({ signal: deadline(), body: { model: "llama-small", messages: [] } });
    expect(first.servedBy).toBe("worker:gpu-1@node-b");
    // While its link waits to be tried again, node d is passed over at once, nothing sent it.
    const next = await a.callAny({ signal: deadline(), body: { model: "llama-small", messages: [] } });
    expect(next.servedBy).toBe("worker:gpu-1@node-b");
    expect(a.httpForwards).toEqual([]);
    // Alone, it is the client's answer: unavailable (a node gone, no breaker counts it), and why.
    const alone = nodeA(silent.port, SECRET, [peerAt("node-d", silent.port)], fetch);
    const error = (await alone
      .callAny({ signal: deadline(), body: { model: "llama-small", messages: [] } })
      .catch((e: unknown) => e)) as GatewayError;
    expect({
      status: error.status,
      code: error.code,
      retryable: error.retryable,
      message: error.message,
    }).toEqual({
      status: 503,
      code: "unavailable",
      retryable: true,
      message: "node node-d unreachable: connection timed out (ETIMEDOUT)",
    });
  }, 30_000);

  test("a stored response held behind a node whose advertise_url never answers is read as from an unreachable node: a 503 once its link gets no answer, not an HTTP read that waits until the client leaves", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => silent.stop(true));
    const entry = peerAt("node-d", silent.port);
    const responsesWorker = { ...entry, workers: entry.workers.map((w) => ({ ...w, responsesApi: true })) };
    const a = nodeA(silent.port, SECRET, [responsesWorker], fetch);
    const holder = a.provider.holder?.("worker:gpu-1", "default");
    if (!holder?.forward) throw new Error("node d's worker should hold stored responses");
    // Bounded here; a client would wait until it gave up, or the node reset its socket.
    const error = (await holder
      .forward({
        method: "GET",
        path: "/responses/resp_1",
        query: "",
        headers: {},
        requestId: "read-1",
        signal: AbortSignal.timeout(10_000),
      })
      .catch((e: unknown) => e)) as GatewayError;
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({
      status: 503,
      code: "unavailable",
      message: "node node-d unreachable: connection timed out (ETIMEDOUT)",
    });
    expect(a.httpForwards).toEqual([]);
  }, 30_000);

  test("a client that leaves while the link to a silent node is still opening is let go at once, a call or a stored response's read: it does not wait out the open's 3 s", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => silent.stop(true));
    const entry = peerAt("node-d", silent.port);
    const responsesWorker = { ...entry, workers: entry.workers.map((w) => ({ ...w, responsesApi: true })) };
    const leaves: [string, (a: ReturnType<typeof nodeA>, signal: AbortSignal) => Promise<unknown>][] = [
      ["call", (a, signal) => a.callAny({ signal, body: { model: "llama-small", messages: [] } })],
      [
        "read",
        (a, signal) => {
          const holder = a.provider.holder?.("worker:gpu-1", "default");
          if (!holder?.forward) throw new Error("node d's worker should hold stored responses");
          return holder.forward({
            method: "GET",
            path: "/responses/r",
            query: "",
            headers: {},
            requestId: "r",
            signal,
          });
        },
      ],
    ];
    for (const [what, act] of leaves) {
      const a = nodeA(silent.port, SECRET, [responsesWorker], fetch);
      const client = new AbortController();
      const left = new Error(`the client of the ${what} left`);
      const outcome = act(a, client.signal).catch((e: unknown) => e);
      await waitFor("the link to be opening", () => a.links.status()[0]?.state === "opening");
      client.abort(left);
      expect(await outcome).toBe(left);
      // Settled before the open gave up (3 s): the caller did not wait for it.
      expect(a.links.status()[0]?.state).toBe("opening");
      expect(a.httpForwards).toEqual([]);
    }
  });
});
