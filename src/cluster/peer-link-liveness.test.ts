import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import { MAX_MESSAGE_BYTES, waitFor } from "../workers/testing/tunnel-harness.ts";
import { silentLog } from "../workers/worker-log.ts";
import { IncomingLinks } from "./incoming-links.ts";
import { PeerLink, PeerLinks } from "./peer-link.ts";
import { bareLinkPeer, heldStream, peerAt, peerLinkTestbed, SECRET } from "./testing/peer-link-nodes.ts";

// A peer link's liveness: a silent peer taken as lost, a paused node judged on time, a link closed
// as this node stops, a node gone from the directory, a drain that waits for the link's streams.
const { cleanups, nodeA, nodeB, heartbeatPeer } = peerLinkTestbed();

describe("cluster peer link", () => {
  test("a peer that goes silent without closing the link is taken as lost: its streams fail as a lost worker's, the next call opens a new link", async () => {
    // A node that takes the link and then answers nothing, heartbeats included (frozen, cut off).
    const accepted: unknown[] = [];
    const silent = bareLinkPeer({ open: (ws) => void accepted.push(ws) });
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
});
