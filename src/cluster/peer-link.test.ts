import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { isOwnFault } from "../workers/gateway/worker-provider.ts";
import { startGateway, waitFor } from "../workers/testing/tunnel-harness.ts";
import { silentLog } from "../workers/worker-log.ts";
import { peerAt, peerLinkTestbed, SECRET } from "./testing/peer-link-nodes.ts";

// Calls forwarded over a cluster's peer link: what reaches the worker and the caller, a worker's
// fault, a refusal, a drain. A link's liveness: peer-link-liveness.test.ts; a peer that cannot be
// reached: peer-link-unreachable.test.ts.
const { cleanups, nodeA, nodeB, linkServer } = peerLinkTestbed();

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
});
