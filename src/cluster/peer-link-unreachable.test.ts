import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { waitFor } from "../workers/testing/tunnel-harness.ts";
import { peerAt, peerLinkTestbed, SECRET } from "./testing/peer-link-nodes.ts";

// A peer that cannot be reached over a link: a wrong secret, an advertise_url that never answers, a
// client that leaves while the link is still opening.
const { cleanups, nodeA, nodeB } = peerLinkTestbed();

describe("cluster peer link", () => {
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
