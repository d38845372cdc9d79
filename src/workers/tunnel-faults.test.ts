import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { createWorkersProvider, isOwnFault } from "./gateway/worker-provider.ts";
import { CloseCode, DEFAULT_STREAM_WINDOW, MAX_CHUNK_BYTES, PROTOCOL_VERSION } from "./protocol.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import { MAX_MESSAGE_BYTES, startGateway, type TestGateway, waitFor } from "./testing/tunnel-harness.ts";

let gateway: TestGateway;
afterEach(async () => {
  await gateway?.stop();
});

const streamCall = (g: TestGateway) => g.call({ body: { model: "llama-small", stream: true }, stream: true });

describe("worker faults seen from the gateway", () => {
  test("a worker lost before the head fails the call as retryable", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const pending = streamCall(gateway).catch((e) => e as GatewayError);
    await raw.next("request");
    raw.socket.close();
    const error = (await pending) as GatewayError;
    expect([error.code, error.retryable]).toEqual(["worker_lost", true]);
    await waitFor("the worker to be removed", () => gateway.registry.list().length === 0);
    expect(gateway.events.map((e) => e.type)).toEqual(["worker.connected", "worker.lost"]);
  });

  test("a worker lost mid-stream errors the stream with worker_lost", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const pending = streamCall(gateway);
    const request = await raw.next("request");
    raw.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    raw.sendChunk(request.id, 'data: {"n":1}\n\n');
    const reply = await pending;
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const iterator = reply.events[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ data: '{"n":1}' });
    raw.socket.close();
    const error = (await iterator.next().catch((e) => e)) as GatewayError;
    // Retryable, but the router never retries once the first event has gone to the client.
    expect(error.code).toBe("worker_lost");
  });

  test("a worker error frame before the head is a retryable upstream error", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const pending = streamCall(gateway).catch((e) => e as GatewayError);
    const request = await raw.next("request");
    raw.send({ type: "error", id: request.id, code: "over_capacity", message: "full" });
    const error = (await pending) as GatewayError;
    expect([error.status, error.retryable]).toEqual([503, true]);
  });

  test("a worker whose upstream keeps failing is taken out of rotation; an answer puts it back", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register(["llama-small"], "box");
    const box = gateway.registry.get("box");
    if (!box) throw new Error("not registered");
    const answer = async (frame: (id: string) => void) => {
      const pending = gateway.call({ body: { model: "llama-small" } }).catch((e) => e as GatewayError);
      frame((await raw.next("request")).id);
      return pending;
    };
    for (let i = 0; i < 3; i++) {
      const error = (await answer((id) =>
        raw.send({
          type: "error",
          id,
          code: "upstream_unreachable",
          message: "could not reach the upstream",
        }),
      )) as GatewayError;
      // Still the worker's own words, and retryable.
      expect([error.status, error.message, error.retryable]).toEqual([
        502,
        "worker box: could not reach the upstream",
        true,
      ]);
      expect(gateway.registry.ejectedUntil(box) !== undefined).toBe(i === 2);
    }
    // Its fields in snake_case, as every log line's (one pipeline reads the gateway's and the worker's).
    expect(gateway.logs).toContainEqual({
      level: "warn",
      message: "worker taken out of rotation: its upstream keeps failing",
      fields: { worker: "box", failures: 3, cooldown_ms: 30_000 },
    });
    // The only worker serving the model: still tried, and its answer brings it back.
    await answer((id) => {
      raw.send({ type: "head", id, status: 200, contentType: "application/json" });
      raw.sendChunk(id, "{}");
      raw.send({ type: "end", id });
    });
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
    // A busy worker, or a refused request, says nothing of its upstream.
    for (const code of ["over_capacity", "draining", "internal"] as const)
      await answer((id) => raw.send({ type: "error", id, code, message: code }));
    await answer((id) => raw.send({ type: "error", id, code: "upstream_broken", message: "broke off" }));
    await answer((id) => raw.send({ type: "error", id, code: "upstream_broken", message: "broke off" }));
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
  });

  test("a worker whose model server refuses its key or fails (5xx) is taken out of rotation as one it cannot reach; a 429 or a request refused as the caller's says nothing of it", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register(["llama-small"], "box");
    const box = gateway.registry.get("box");
    if (!box) throw new Error("not registered");
    const answer = async (status: number, body: string) => {
      const pending = gateway.call({ body: { model: "llama-small" } }).catch((e) => e as GatewayError);
      const { id } = await raw.next("request");
      raw.send({ type: "head", id, status, contentType: "application/json" });
      raw.sendChunk(id, body);
      raw.send({ type: "end", id });
      return pending;
    };
    const refused = (await answer(
      401,
      '{"error":{"message":"Incorrect API key provided: sk-abc","code":"invalid_api_key"}}',
    )) as GatewayError;
    // The key is the worker's --upstream-key, never the gateway's, and the server's text stays out.
    expect([refused.status, refused.message, refused.retryable]).toEqual([
      502,
      "worker box's model server refused its --upstream-key (401)",
      true,
    ]);
    expect(isOwnFault(refused)).toBe(true);
    const failed = (await answer(500, '{"error":{"message":"boom","type":"server_error"}}')) as GatewayError;
    expect([failed.status, failed.message, failed.upstream?.status, isOwnFault(failed)]).toEqual([
      502,
      "worker box answered 500: boom",
      500,
      true,
    ]);
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
    await answer(403, '{"error":{"message":"forbidden"}}');
    expect(gateway.registry.ejectedUntil(box)).toBeDefined();
    // An answer brings it back; a 429 and a caller's 400 are answers, neither taken as its fault.
    await answer(200, "{}");
    for (let i = 0; i < 3; i++) {
      const limited = (await answer(429, '{"error":{"message":"slow down"}}')) as GatewayError;
      expect([limited.status, isOwnFault(limited)]).toEqual([429, false]);
      const caller = (await answer(400, '{"error":{"message":"bad messages"}}')) as GatewayError;
      expect([caller.status, caller.message, isOwnFault(caller)]).toEqual([400, "bad messages", false]);
    }
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
  });

  test("a worker whose model server does not serve the model it offered (404 naming it) is taken out of rotation as one that fails; a 404 about the request is the caller's", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register(["llama-small"], "box");
    const box = gateway.registry.get("box");
    if (!box) throw new Error("not registered");
    const answer = async (status: number, body: string, stream = false) => {
      const pending = gateway
        .call({ body: { model: "llama-small", stream }, stream })
        .catch((e) => e as GatewayError);
      const { id } = await raw.next("request");
      raw.send({ type: "head", id, status, contentType: "application/json" });
      raw.sendChunk(id, body);
      raw.send({ type: "end", id });
      return pending;
    };
    // vLLM's words for a model it was not started with.
    const vllm = JSON.stringify({
      object: "error",
      message: "The model `llama-small` does not exist.",
      type: "NotFoundError",
      param: null,
      code: 404,
    });
    const notServed = (await answer(404, vllm)) as GatewayError;
    expect([notServed.status, notServed.message, notServed.retryable, isOwnFault(notServed)]).toEqual([
      502,
      "worker box's model server does not serve the model it offered (404)",
      true,
      true,
    ]);
    // An item the server does not hold is the caller's 404, and an answer: it says nothing of the worker.
    const item = '{"error":{"message":"Item with id \'rs_1\' not found.","type":"invalid_request_error"}}';
    for (let i = 0; i < 3; i++) {
      const caller = (await answer(404, item)) as GatewayError;
      expect([caller.status, isOwnFault(caller)]).toEqual([404, false]);
    }
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
    // Ollama's words, a stream's call too: three in a row take it out.
    const ollama = '{"error":{"message":"model \\"llama-small\\" not found, try pulling it first"}}';
    for (const stream of [false, true, false]) {
      const failed = (await answer(404, ollama, stream)) as GatewayError;
      expect([failed.status, isOwnFault(failed)]).toEqual([502, true]);
    }
    expect(gateway.registry.ejectedUntil(box)).toBeDefined();
  });

  test("a stored response not found (404) through a worker is an answer: it starts the failure count again and puts an ejected worker back", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register(["llama-small"], "box", { apis: ["responses"] });
    const box = gateway.registry.get("box");
    if (!box) throw new Error("not registered");
    const forward = createWorkersProvider(gateway.registry).holder?.("worker:box", "default")?.forward;
    if (!forward) throw new Error("no stored-response forward");
    const notFound = async () => {
      const pending = forward({
        method: "GET",
        path: "/responses/resp_1",
        query: "",
        headers: {},
        requestId: "stored-1",
        signal: new AbortController().signal,
      });
      const { id } = await raw.next("request");
      raw.send({ type: "head", id, status: 404, contentType: "application/json" });
      raw.sendChunk(
        id,
        '{"error":{"message":"Response with id \'resp_1\' not found.","type":"invalid_request_error"}}',
      );
      raw.send({ type: "end", id });
      return (await pending).status;
    };
    const fail = async () => {
      const pending = gateway.call({ body: { model: "llama-small" } }).catch((e) => e as GatewayError);
      const { id } = await raw.next("request");
      raw.send({ type: "error", id, code: "upstream_unreachable", message: "could not reach the upstream" });
      return pending;
    };
    // Two failures, then a stored response not found: the count starts again.
    await fail();
    await fail();
    expect(await notFound()).toBe(404);
    await fail();
    await fail();
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
    // Taken out by a third, then back in rotation at the next answer, that 404 included.
    await fail();
    expect(gateway.registry.ejectedUntil(box)).toBeDefined();
    expect(await notFound()).toBe(404);
    expect(gateway.registry.ejectedUntil(box)).toBeUndefined();
  });

  test("a worker that offers no models is told so; one whose models its key may not serve, that", async () => {
    gateway = startGateway();
    const empty = await openRawWorker(gateway.port);
    expect(await empty.register([], "empty")).toEqual(
      expect.objectContaining({
        type: "rejected",
        reason: "no_models",
        message: "the worker offered no models",
      }),
    );
    const refused = await openRawWorker(gateway.port);
    expect(await refused.register(["gpt-4o"], "refused")).toEqual(
      expect.objectContaining({
        type: "rejected",
        reason: "no_models",
        message: "none of the offered models is permitted for this key",
      }),
    );
  });

  test("an upstream error status is relayed through readUpstreamReply", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const pending = gateway.call({ body: { model: "llama-small" } }).catch((e) => e as GatewayError);
    const request = await raw.next("request");
    raw.send({ type: "head", id: request.id, status: 400, contentType: "application/json" });
    raw.sendChunk(request.id, '{"error":{"message":"context too long"}}');
    raw.send({ type: "end", id: request.id });
    const error = (await pending) as GatewayError;
    expect([error.status, error.message]).toEqual([400, "context too long"]);
  });

  test("heartbeats that stop remove the worker within the timeout", async () => {
    gateway = startGateway({ heartbeatMs: 50 });
    const raw = await openRawWorker(gateway.port);
    const registered = await raw.register();
    expect(registered.type === "registered" && registered.heartbeatTimeoutMs).toBe(150);
    const closed = await raw.waitClosed();
    expect(closed.code).toBe(CloseCode.heartbeatTimeout);
    expect(gateway.registry.list()).toEqual([]);
  });

  test("a frame for a request id never given is ignored and logged", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    raw.sendChunk("999", "x");
    raw.send({ type: "end", id: "4242" });
    await waitFor(
      "the log lines",
      () => gateway.logs.filter((l) => l.message.includes("unknown request id")).length === 2,
    );
    const reply = gateway.call({ body: { model: "llama-small" } });
    const request = await raw.next("request");
    raw.send({ type: "head", id: request.id, status: 200, contentType: "application/json" });
    raw.sendChunk(request.id, '{"ok":true}');
    raw.send({ type: "end", id: request.id });
    expect(await reply).toEqual({ kind: "json", body: { ok: true }, servedBy: "worker:raw" });
  });

  test.each([
    ["not JSON", "hello", CloseCode.protocolError],
    ["an unknown frame type", JSON.stringify({ type: "teleport", id: "1" }), CloseCode.protocolError],
    ["a malformed register", JSON.stringify({ type: "register", v: 1, name: "" }), CloseCode.protocolError],
    ["a frame before register", JSON.stringify({ type: "end", id: "1" }), CloseCode.protocolError],
    ["a v1 JSON chunk frame", JSON.stringify({ type: "chunk", id: "1", data: "x" }), CloseCode.protocolError],
    ["a binary frame before register", new Uint8Array([1, 0, 0, 0, 1, 65]), CloseCode.protocolError],
    ["an oversized frame", "x".repeat(MAX_MESSAGE_BYTES + 1), CloseCode.tooBig],
  ])("%s closes the connection with a protocol code", async (_what, frame, code) => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    raw.send(frame);
    expect((await raw.waitClosed()).code).toBe(code);
  });

  test("a malformed binary frame after registration closes the connection and removes the worker", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    raw.socket.send(new Uint8Array([1, 2, 3]));
    expect((await raw.waitClosed()).code).toBe(CloseCode.protocolError);
    await waitFor("removal", () => gateway.registry.list().length === 0);
  });

  test("an unsupported protocol version is rejected", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    raw.send({
      type: "register",
      v: 1,
      name: "old",
      version: "9",
      models: ["llama-small"],
      concurrency: 1,
      labels: {},
    });
    expect(await raw.next("rejected")).toEqual(expect.objectContaining({ reason: "unsupported_version" }));
    expect((await raw.waitClosed()).code).toBe(CloseCode.protocolError);
  });

  test("a register of another version is rejected as such, though its other fields are not this version's", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    // A later release's register may change any field but `type` and `v`: that is what `v` is for.
    raw.send({ type: "register", v: 3, name: "future", models: [{ id: "llama-small" }], slots: 4 });
    expect(await raw.next("rejected")).toEqual({
      type: "rejected",
      reason: "unsupported_version",
      message: "this gateway speaks protocol v2, not v3",
    });
    expect(await raw.waitClosed()).toEqual({
      code: CloseCode.protocolError,
      reason: "registration rejected: unsupported_version",
    });
    expect(gateway.logs.at(-1)?.fields?.problem).toBe("registration rejected: unsupported_version");
  });

  test("a second connection under the same name replaces the first; the stale close removes nothing", async () => {
    gateway = startGateway();
    const first = await openRawWorker(gateway.port);
    await first.register(["llama-small"], "box");
    const second = await openRawWorker(gateway.port);
    await second.register(["llama-small"], "box");
    expect((await first.waitClosed()).code).toBe(CloseCode.replaced);
    const listed = gateway.registry.list();
    expect(listed).toHaveLength(1);
    const reply = gateway.call({ body: { model: "llama-small" } });
    const request = await second.next("request");
    second.send({ type: "head", id: request.id, status: 200, contentType: "application/json" });
    second.sendChunk(request.id, "{}");
    second.send({ type: "end", id: request.id });
    expect(await reply).toEqual({ kind: "json", body: {}, servedBy: "worker:box" });
  });

  test("another key cannot take over a worker name", async () => {
    gateway = startGateway();
    const first = await openRawWorker(gateway.port);
    await first.register(["llama-small"], "box");
    const intruder = await openRawWorker(gateway.port, "other-worker-key");
    expect(await intruder.register(["llama-small"], "box")).toEqual(
      expect.objectContaining({ type: "rejected", reason: "name_in_use" }),
    );
    expect(first.closed).toBeUndefined();
  });

  test("slow client: the worker gets no more than its credit", async () => {
    gateway = startGateway({ window: 4096 });
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const pending = streamCall(gateway);
    const request = await raw.next("request");
    expect(request.window).toBe(4096);
    raw.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    const reply = await pending;
    const piece = `data: ${"x".repeat(1000)}\n\n`;
    for (let i = 0; i < 8; i++) raw.sendChunk(request.id, piece);
    await raw.roundTrip();
    expect(raw.frames.filter((f) => f.type === "credit")).toEqual([]);
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const iterator = reply.events[Symbol.asyncIterator]();
    for (let i = 0; i < 2; i++) await iterator.next();
    const credit = await raw.next("credit");
    expect(credit.bytes).toBeGreaterThanOrEqual(1024);
    raw.send({ type: "end", id: request.id });
    let rest = 0;
    while (!(await iterator.next()).done) rest++;
    expect(rest).toBe(6);
  });

  test("a worker that sends past its window without credit fails the stream and is closed 1008: the gateway holds no more than the window", async () => {
    gateway = startGateway();
    const raw = await openRawWorker(gateway.port);
    await raw.register(["llama-small"], "flooder");
    const pending = streamCall(gateway);
    const request = await raw.next("request");
    expect(request.window).toBe(DEFAULT_STREAM_WINDOW);
    raw.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    const reply = await pending;
    // Four windows at once, never waiting for credit, while the client reads nothing.
    const piece = `data: ${"x".repeat(32 * 1024 - 8)}\n\n`;
    for (let sent = 0; sent < 4 * DEFAULT_STREAM_WINDOW; sent += piece.length)
      raw.sendChunk(request.id, piece);
    expect(await raw.waitClosed()).toEqual({
      code: CloseCode.protocolError,
      reason: "worker flooder overran its flow-control window",
    });
    await waitFor("the worker to be removed", () => gateway.registry.list().length === 0);
    expect(gateway.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "worker connection closed: protocol error",
        fields: expect.objectContaining({ problem: "worker flooder overran its flow-control window" }),
      }),
    );
    // No credit for bytes nobody read.
    expect(raw.frames.filter((f) => f.type === "credit")).toEqual([]);
    // What was queued before the overrun is read, then the failure: never more than the window
    // and one chunk's overdraft.
    if (reply.kind !== "stream") throw new Error("expected a stream");
    let queued = 0;
    const failure = await (async () => {
      for await (const event of reply.events) queued += event.data.length;
    })().then(
      () => undefined,
      (e: unknown) => e as GatewayError,
    );
    expect([failure?.status, failure?.code, failure?.message]).toEqual([
      502,
      "upstream_error",
      "worker flooder overran its flow-control window",
    ]);
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(DEFAULT_STREAM_WINDOW + MAX_CHUNK_BYTES);
  });

  test("the client's body text goes only to a worker that announced bodyText; an older one gets the parsed body", async () => {
    gateway = startGateway();
    const text = '{"model":"llama-small",  "messages":[]}';
    const native = { bytes: new TextEncoder().encode(text), headers: {}, query: "" };
    const call = () => gateway.call({ body: { model: "llama-small", messages: [] }, native }).catch(() => {});
    const old = await openRawWorker(gateway.port);
    await old.register(["llama-small"], "old");
    void call();
    const toOld = await old.next("request");
    expect(toOld.bodyText).toBeUndefined();
    expect(toOld.body).toEqual({ model: "llama-small", messages: [] });
    old.socket.close();
    await waitFor("the old worker to be removed", () => gateway.registry.list().length === 0);
    const current = await openRawWorker(gateway.port);
    current.send({
      type: "register",
      v: PROTOCOL_VERSION,
      name: "current",
      version: "test",
      models: ["llama-small"],
      concurrency: 8,
      labels: {},
      bodyText: true,
    });
    await current.next("registered");
    void call();
    const toCurrent = await current.next("request");
    expect(toCurrent.bodyText).toBe(text);
    expect(toCurrent.body).toEqual({ model: "llama-small" });
    current.socket.close();
  });
});
