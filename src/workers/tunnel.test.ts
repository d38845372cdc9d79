import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { CallCancel } from "../providers/http/call-cancel.ts";
import { listWorkers } from "./gateway/list-workers.ts";
import {
  collect,
  type GatewayWithWorker,
  startGatewayWithWorker,
  waitFor,
} from "./testing/tunnel-harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Started = GatewayWithWorker;

const start = (options: Parameters<typeof startGatewayWithWorker>[1] = {}) =>
  startGatewayWithWorker(cleanups, options);

const ready = (s: Started) =>
  waitFor("the worker to register", () => s.gateway.registry.serves("llama-small"));

describe("worker tunnel", () => {
  test("non-stream request goes through the worker to the upstream and back", async () => {
    const s = await start();
    await ready(s);
    const reply = await s.gateway.call({
      body: { model: "llama-small", messages: [{ role: "user", content: "hi" }] },
    });
    expect(reply.kind).toBe("json");
    if (reply.kind === "json")
      expect(reply.body.choices).toEqual([
        expect.objectContaining({ message: { role: "assistant", content: "hello from upstream" } }),
      ]);
    const listed = listWorkers(s.gateway.registry, null).workers;
    expect(listed).toEqual([
      expect.objectContaining({
        name: "gpu-1",
        models: ["llama-small"],
        capacity: 16,
        labels: { zone: "lab" },
      }),
    ]);
    expect(s.gateway.events.map((e) => e.type)).toEqual(["worker.connected"]);
  });

  test("models are discovered from the upstream and filtered by the key's allow-list", async () => {
    const s = await start();
    await ready(s);
    expect(s.gateway.registry.models()).toEqual(["llama-small"]);
    expect(s.gateway.logs.some((l) => l.message.includes("may not serve"))).toBe(true);
    // The worker logs the refusal when its `registered` frame arrives, which can be just after
    // the gateway lists it.
    await waitFor("the refusal log", () => s.workerLogs.some((l) => l.includes("gateway refused a model")));
  });

  test("a key that may serve none of the models is rejected and the worker exits 1", async () => {
    const s = await start({ token: "useless-key" });
    expect(await s.exit).toBe(1);
    expect(s.gateway.registry.list()).toEqual([]);
  });

  test("stream request relays every chunk", async () => {
    const s = await start();
    await ready(s);
    const reply = await s.gateway.call({
      body: { model: "llama-small", stream: true, fake: { chunks: 5 } },
      stream: true,
    });
    const data = await collect(reply);
    expect(data).toHaveLength(6);
    expect(data.at(-1)).toBe("[DONE]");
    expect(JSON.parse(data[0] ?? "{}").choices[0].delta.content).toBe("t0");
  });

  test("200 concurrent streams share one connection", async () => {
    const s = await start({ concurrency: 256 });
    await ready(s);
    const calls = Array.from({ length: 200 }, () =>
      s.gateway
        .call({ body: { model: "llama-small", stream: true, fake: { chunks: 20 } }, stream: true })
        .then(collect),
    );
    const results = await Promise.all(calls);
    expect(results.every((r) => r.length === 21 && r.at(-1) === "[DONE]")).toBe(true);
    expect(s.gateway.registry.list()[0]?.inFlight).toBe(0);
  });

  test("a cancelled call aborts the upstream request", async () => {
    const s = await start();
    await ready(s);
    const abort = new AbortController();
    const requestId = "cancel-me";
    const reply = await s.gateway.call({
      body: { model: "llama-small", stream: true, fake: { chunks: 5, holdAfterFirst: true } },
      stream: true,
      requestId,
      signal: abort.signal,
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const iterator = reply.events[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    abort.abort(new Error("client went away"));
    await waitFor("the upstream to see the abort", () => s.upstream.aborted.has(requestId));
    await waitFor("the exchange to end", () => s.gateway.registry.list()[0]?.inFlight === 0);
  });

  test("a call cancelled through its hook (as an attempt cancels) aborts the upstream request", async () => {
    const s = await start();
    await ready(s);
    const hook = new CallCancel();
    const requestId = "cancel-by-hook";
    const reply = await s.gateway.call({
      body: { model: "llama-small", stream: true, fake: { chunks: 5, holdAfterFirst: true } },
      stream: true,
      requestId,
      signal: hook.signal,
      cancel: hook,
    });
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const iterator = reply.events[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    // The exchange is the hook's stage: it listens on no signal.
    expect(hook.stage).not.toBeNull();
    hook.cancel(new Error("client went away"));
    await waitFor("the upstream to see the abort", () => s.upstream.aborted.has(requestId));
    await waitFor("the exchange to end", () => s.gateway.registry.list()[0]?.inFlight === 0);
    expect(hook.stage).toBeNull();
  });

  test("unknown model and unsupported operation fail as the router expects", async () => {
    const s = await start();
    await ready(s);
    const missing = (await s.gateway.call({ body: { model: "nope" } }).catch((e) => e)) as GatewayError;
    expect([missing.status, missing.code, missing.retryable]).toEqual([503, "no_route_available", true]);
    const op = (await s.gateway
      .call({ operation: "messages", body: { model: "llama-small" } })
      .catch((e) => e)) as GatewayError;
    expect(op.status).toBe(400);
  });
});
