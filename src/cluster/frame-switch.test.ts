import { describe, expect, test } from "bun:test";
import { unavailable } from "../core/gateway-error.ts";
import { Lifecycle } from "../http/lifecycle.ts";
import { Shutdown } from "../http/shutdown.ts";
import { WorkerTunnel } from "../workers/gateway/worker-tunnel.ts";
import { encodeFrame, type GatewayFrame } from "../workers/protocol.ts";
import { silentLog } from "../workers/worker-log.ts";
import { FrameSwitch } from "./frame-switch.ts";

/** A worker tunnel whose socket records the frames the switch sends the worker. */
function worker(name: string, bodyText = true, tenant = "default", backedUp = false) {
  const sent: GatewayFrame[] = [];
  const tunnel = new WorkerTunnel({
    id: name,
    name,
    owner: "fleet",
    tenant,
    models: ["m"],
    capacity: 8,
    labels: {},
    bodyText,
    transport: {
      send: (text) => sent.push(JSON.parse(text) as GatewayFrame),
      close() {},
      // A worker that stopped reading: its socket's queue past the limit.
      backedUp: () => backedUp,
    },
    log: silentLog,
    now: 0,
  });
  return { tunnel, sent };
}

function rig(lifecycle?: Lifecycle, shutdown?: Shutdown) {
  const w1 = worker("w1");
  const w2 = worker("w2", false);
  const teamB = worker("wb", true, "team-b");
  const stalled = worker("ws", true, "default", true);
  const out: ({ text: Record<string, unknown> } | { chunk: [number, string] })[] = [];
  const failures: string[] = [];
  const byName = new Map([
    ["w1", w1.tunnel],
    ["w2", w2.tunnel],
    ["wb", teamB.tunnel],
    ["ws", stalled.tunnel],
  ]);
  const sw = new FrameSwitch({
    registry: {
      get: (name) => byName.get(name),
      // Least busy first, as the registry picks.
      pick: () => [w1.tunnel, w2.tunnel].sort((a, b) => a.inFlight - b.inFlight)[0],
      whyNone: () => "full",
      settled() {},
    },
    nodeId: "node-b",
    writer: {
      text: (text) => out.push({ text: JSON.parse(text) as Record<string, unknown> }),
      chunk: (id, bytes) => out.push({ chunk: [id, new TextDecoder().decode(bytes)] }),
    },
    fail: (problem) => failures.push(problem),
    ...(lifecycle ? { lifecycle } : {}),
    ...(shutdown ? { shutdown } : {}),
  });
  return { w1, w2, stalled, out, failures, sw };
}

const request = (id: string, extra: Record<string, unknown> = {}) =>
  encodeFrame({
    type: "request",
    id,
    requestId: `r${id}`,
    path: "/chat/completions",
    body: { model: "m" },
    bodyText: '{"model":"m","messages":[]}',
    stream: true,
    window: 1024,
    ...extra,
  } as GatewayFrame);

describe("frame switch", () => {
  test("a relayed stream counts among the node's requests in flight until it ends; a draining node refuses new ones", async () => {
    const lifecycle = new Lifecycle();
    const { w1, out, sw } = rig(lifecycle);
    sw.message(request("7", { worker: "w1" }));
    expect(lifecycle.active).toBe(1);
    let idle = false;
    lifecycle.drain();
    const drained = lifecycle.idle().then(() => (idle = true));
    // Draining: a new forward is refused before any answer; the calling node tries elsewhere.
    sw.message(request("8", { worker: "w1" }));
    expect(out.at(-1)).toEqual({
      text: { type: "error", id: "8", code: "unavailable", message: expect.stringContaining("draining") },
    });
    expect(idle).toBe(false);
    w1.tunnel.receive({ type: "head", id: "1", status: 200, contentType: "text/event-stream" });
    w1.tunnel.receive({ type: "end", id: "1" });
    await drained;
    expect(lifecycle.active).toBe(0);
  });

  test("a stream the link closes under is let go too", () => {
    const lifecycle = new Lifecycle();
    const { sw } = rig(lifecycle);
    sw.message(request("7", { worker: "w1" }));
    sw.message(request("9"));
    expect(lifecycle.active).toBe(2);
    sw.closed();
    expect(lifecycle.active).toBe(0);
  });

  test("interleaved streams keep their ids on each side, with only the id rewritten", () => {
    const { w1, w2, out, sw } = rig();
    sw.message(request("7", { worker: "w1" }));
    sw.message(request("9"));
    // Link 7 → w1's stream 1; link 9 → the least busy worker, w2, stream 1.
    expect(w1.sent).toEqual([
      {
        type: "request",
        id: "1",
        requestId: "r7",
        path: "/chat/completions",
        body: { model: "m" },
        bodyText: '{"model":"m","messages":[]}',
        stream: true,
        window: 1024,
      },
    ]);
    // w2 did not announce bodyText: it gets the client's body parsed, and never the chosen name.
    expect(w2.sent).toEqual([
      {
        type: "request",
        id: "1",
        requestId: "r9",
        path: "/chat/completions",
        body: { model: "m", messages: [] },
        stream: true,
        window: 1024,
      },
    ]);
    expect([w1.tunnel.inFlight, w2.tunnel.inFlight]).toEqual([1, 1]);
    w2.tunnel.receive({ type: "head", id: "1", status: 200, contentType: "text/event-stream" });
    w1.tunnel.receive({ type: "head", id: "1", status: 200, contentType: "text/event-stream" });
    w1.tunnel.receiveChunk(1, new TextEncoder().encode("a"));
    w2.tunnel.receiveChunk(1, new TextEncoder().encode("b"));
    sw.message(encodeFrame({ type: "credit", id: "9", bytes: 300 }));
    sw.message(encodeFrame({ type: "cancel", id: "7" }));
    w2.tunnel.receive({ type: "end", id: "1" });
    expect(out).toEqual([
      {
        text: {
          type: "head",
          id: "9",
          status: 200,
          contentType: "text/event-stream",
          servedBy: "worker:w2@node-b",
        },
      },
      {
        text: {
          type: "head",
          id: "7",
          status: 200,
          contentType: "text/event-stream",
          servedBy: "worker:w1@node-b",
        },
      },
      { chunk: [7, "a"] },
      { chunk: [9, "b"] },
      { text: { type: "end", id: "9" } },
    ]);
    expect(w2.sent.slice(1)).toEqual([{ type: "credit", id: "1", bytes: 300 }]);
    expect(w1.sent.slice(1)).toEqual([{ type: "cancel", id: "1" }]);
    // Both streams are over: neither worker counts them any more, nor does the switch.
    expect([w1.tunnel.inFlight, w2.tunnel.inFlight, sw.size]).toEqual([0, 0, 0]);
  });

  test("a worker lost here fails its streams on the link as worker_lost; the link closed cancels the rest", () => {
    const { w1, w2, out, sw } = rig();
    sw.message(request("1", { worker: "w1" }));
    sw.message(request("2", { worker: "w2" }));
    w1.tunnel.close(1001, "gone");
    expect(out).toEqual([
      { text: { type: "error", id: "1", code: "worker_lost", message: "worker w1 was lost" } },
    ]);
    sw.closed();
    expect(w2.sent.at(-1)).toEqual({ type: "cancel", id: "1" });
    expect(w2.tunnel.inFlight).toBe(0);
  });

  test("a worker closed here on purpose (its key revoked) fails its streams on the link saying so, not as lost", () => {
    const { w1, out, sw } = rig();
    sw.message(request("1", { worker: "w1" }));
    w1.tunnel.close(1008, "its key was revoked", "was disconnected: its key was revoked");
    expect(out).toEqual([
      {
        text: {
          type: "error",
          id: "1",
          code: "worker_lost",
          message: "worker w1 was disconnected: its key was revoked",
        },
      },
    ]);
  });

  test("at the drain deadline a relayed stream ends as this node's own requests do (unavailable, the stop's words) and its worker is told to stop", () => {
    const lifecycle = new Lifecycle();
    const shutdown = new Shutdown();
    const { w1, w2, out, sw } = rig(lifecycle, shutdown);
    sw.message(request("1", { worker: "w1" }));
    sw.message(request("2", { worker: "w2" }));
    w1.tunnel.receive({ type: "head", id: "1", status: 200, contentType: "text/event-stream" });
    // One ended on its own before the deadline: the stop finds nothing of it to end.
    w2.tunnel.receive({ type: "head", id: "1", status: 200, contentType: "text/event-stream" });
    w2.tunnel.receive({ type: "end", id: "1" });
    out.length = 0;
    shutdown.endAll(unavailable("the gateway is shutting down: drain deadline passed"));
    expect(out).toEqual([
      {
        text: {
          type: "error",
          id: "1",
          code: "unavailable",
          message: "the gateway is shutting down: drain deadline passed",
        },
      },
    ]);
    expect(w1.sent.at(-1)).toEqual({ type: "cancel", id: "1" });
    expect([w1.tunnel.inFlight, sw.size, lifecycle.active]).toEqual([0, 0, 0]);
    // Nothing more when the worker is closed later in the stop: the stream is gone already.
    w1.tunnel.close(1001, "gateway stopping");
    expect(out).toHaveLength(1);
  });

  test("a named worker that is gone is refused before any answer, so the calling node can try the next", () => {
    const { out, sw } = rig();
    sw.message(request("3", { worker: "w9" }));
    expect(out).toEqual([
      {
        text: {
          type: "error",
          id: "3",
          code: "unavailable",
          message: "worker w9 is no longer connected (on node node-b)",
        },
      },
    ]);
  });

  test("no worker here takes the model: refused in a local caller's words, a draining one's with its Retry-After", () => {
    const refusals: Record<string, unknown>[] = [];
    const none = (why: "not_served" | "draining" | "full") =>
      new FrameSwitch({
        registry: { get: () => undefined, pick: () => undefined, whyNone: () => why, settled() {} },
        nodeId: "node-b",
        writer: { text: (text) => refusals.push(JSON.parse(text) as Record<string, unknown>), chunk() {} },
        fail() {},
      });
    none("draining").message(request("1"));
    none("full").message(request("2"));
    none("not_served").message(request("3"));
    expect(refusals).toEqual([
      // It said "at capacity" (Retry-After 1) of a worker with 6 of 8 slots free, as it drained.
      {
        type: "error",
        id: "1",
        code: "unavailable",
        message: "every worker serving m is draining (on node node-b)",
        retryAfter: "5",
      },
      {
        type: "error",
        id: "2",
        code: "unavailable",
        message: "every worker serving m is at capacity (on node node-b)",
        retryAfter: "1",
      },
      {
        type: "error",
        id: "3",
        code: "no_route_available",
        message: "no connected worker serves m (on node node-b)",
      },
    ]);
  });

  test("a named worker whose connection is backed up is refused as busy, not as gone, and sent nothing", () => {
    const { out, stalled, sw } = rig();
    sw.message(request("3", { worker: "ws" }));
    expect(out).toEqual([
      {
        text: {
          type: "error",
          id: "3",
          code: "unavailable",
          message: "worker ws: its connection is backed up (on node node-b)",
        },
      },
    ]);
    // `unavailable`: the calling node reads it as a busy worker's refusal (503, Retry-After 1,
    // retried elsewhere, never counted by the breaker: tunnel-failures.ts).
    expect([stalled.sent, stalled.tunnel.inFlight, sw.size]).toEqual([[], 0, 0]);
  });

  test("a named worker that is full or draining is refused here in a local caller's words, with their Retry-After, and sent nothing", () => {
    const { w1, out, sw } = rig();
    // The calling node read w1's room a heartbeat ago; its 8 slots have filled since.
    for (let id = 10; id < 18; id++) sw.message(request(String(id), { worker: "w1" }));
    expect([w1.tunnel.inFlight, w1.sent.length]).toEqual([8, 8]);
    sw.message(request("18", { worker: "w1" }));
    // It was sent on, and refused in the worker's own words: "worker w1@node-b: worker is at its
    // concurrency limit", unlike a call through node-b itself.
    expect(out.at(-1)).toEqual({
      text: {
        type: "error",
        id: "18",
        code: "unavailable",
        message: "every worker serving m is at capacity (on node node-b)",
        retryAfter: "1",
      },
    });
    w1.tunnel.draining = true;
    sw.message(request("19", { worker: "w1" }));
    expect(out.at(-1)).toEqual({
      text: {
        type: "error",
        id: "19",
        code: "unavailable",
        message: "every worker serving m is draining (on node node-b)",
        retryAfter: "5",
      },
    });
    expect([w1.tunnel.inFlight, w1.sent.length, sw.size]).toEqual([8, 8, 8]);
  });

  test("a named worker that no longer serves the model (its key narrowed, or registered again with fewer) is refused here as a local caller is, and sent nothing", () => {
    const { w1, out, sw } = rig();
    // The calling node read w1 serving m a heartbeat ago; its key has since been narrowed to `n`
    // (the registry's serveOnly). It was sent on, to reach an upstream the key no longer permits.
    w1.tunnel.models = ["n"];
    sw.message(request("20", { worker: "w1" }));
    expect(out).toEqual([
      {
        text: {
          type: "error",
          id: "20",
          code: "no_route_available",
          message: "no connected worker serves m (on node node-b)",
        },
      },
    ]);
    expect([w1.sent, w1.tunnel.inFlight, sw.size]).toEqual([[], 0, 0]);
    // A model it still serves is relayed to it as before.
    sw.message(request("21", { worker: "w1", body: { model: "n" }, bodyText: '{"model":"n"}' }));
    expect([w1.sent.length, sw.size]).toEqual([1, 1]);
  });

  test("a named worker of a tenant the caller's may not use is refused as one that is gone", () => {
    const { out, sw } = rig();
    sw.message(request("4", { worker: "wb", tenant: "team-a" }));
    sw.message(request("5", { worker: "wb" }));
    expect(out.map((o) => ("text" in o ? o.text.code : undefined))).toEqual(["unavailable", "unavailable"]);
    sw.message(request("6", { worker: "wb", tenant: "team-b" }));
    expect(out).toHaveLength(2);
  });

  test("a heartbeat is answered, so the calling node knows the link alive", () => {
    const { out, sw, failures } = rig();
    sw.message(encodeFrame({ type: "heartbeat", at: 42 }));
    expect(out).toEqual([{ text: { type: "heartbeat", at: 42 } }]);
    expect(failures).toEqual([]);
  });

  test("frames a link may not carry close it", () => {
    const { failures, sw } = rig();
    sw.message(request("4"));
    sw.message(request("4"));
    expect(failures).toEqual(["stream 4 opened twice"]);
    const other = rig();
    other.sw.message(new Uint8Array([1, 0, 0, 0, 1, 65]));
    expect(other.failures).toEqual(["a peer link carries no request body chunks"]);
  });

  test("a relayed request with a tracestate reaches a worker that reads binary requests as JSON, its trace context kept", () => {
    const sent: GatewayFrame[] = [];
    const binary: unknown[] = [];
    const tunnel = new WorkerTunnel({
      id: "w1",
      name: "w1",
      owner: "fleet",
      tenant: "default",
      models: ["m"],
      capacity: 8,
      labels: {},
      bodyText: true,
      binaryRequests: true,
      transport: {
        send: (text) => sent.push(JSON.parse(text) as GatewayFrame),
        sendBinary: (frame) => binary.push(frame),
        close() {},
      },
      log: silentLog,
      now: 0,
    });
    const sw = new FrameSwitch({
      registry: { get: () => tunnel, pick: () => tunnel, whyNone: () => "full", settled() {} },
      nodeId: "node-b",
      writer: { text() {}, chunk() {} },
      fail() {},
    });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    sw.message(request("7", { traceparent, tracestate: "congo=t61rcWkgMzE" }));
    // Without one, the common request: a binary frame (which has no place for a tracestate).
    sw.message(request("8", { traceparent }));
    expect(sent).toEqual([
      expect.objectContaining({ id: "1", requestId: "r7", traceparent, tracestate: "congo=t61rcWkgMzE" }),
    ]);
    expect(binary).toHaveLength(1);
  });
});
