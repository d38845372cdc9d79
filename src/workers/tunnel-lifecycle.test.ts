import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { freePort } from "../testing/free-port.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { fakeGateway } from "./testing/fake-gateway.ts";
import { startFakeUpstream } from "./testing/fake-upstream.ts";
import { collect, startGateway, waitFor } from "./testing/tunnel-harness.ts";
import { upgradeStatus } from "./testing/upgrade-status.ts";
import { type RunWorkerOptions, runWorker } from "./worker/worker-client.ts";
import type { WorkerLog } from "./worker-log.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A worker of these tests' defaults (gpu-1 serving llama-small, a fast backoff, no signals), `settings`
 * over them, connected to `connect` (a gateway's URL); stopped after the test.
 */
function startWorker(connect: string, upstreamUrl: string, settings: Partial<RunWorkerOptions> = {}) {
  const stop = new AbortController();
  const exit = runWorker({
    connect,
    token: "worker-key",
    upstream: `${upstreamUrl}/v1`,
    models: ["llama-small"],
    concurrency: 16,
    name: "gpu-1",
    labels: {},
    log: () => {},
    handleSignals: false,
    stop: stop.signal,
    backoff: { baseMs: 20, capMs: 100 },
    drainTimeoutMs: 5_000,
    ...settings,
  });
  cleanups.push(async () => {
    stop.abort();
    await exit;
  });
  return { stop, exit };
}

function worker(
  port: number,
  upstreamUrl: string,
  concurrency = 16,
  log: WorkerLog = () => {},
  models = ["llama-small"],
) {
  return startWorker(`ws://127.0.0.1:${port}`, upstreamUrl, { concurrency, log, models });
}

/**
 * A worker (4 calls at once, `settings` over that) of an older gateway, one that reads no announce
 * frame, whose upstream comes to serve the Responses API while a call, "held" after its first
 * chunk, is in flight: returned as it does.
 */
async function heldAsResponsesComes(settings: Partial<RunWorkerOptions>) {
  const upstream = startFakeUpstream();
  cleanups.push(() => upstream.stop());
  upstream.responsesStatus = 503;
  const gw = fakeGateway({ batch: false, binaryAnswers: false }, (stop) => cleanups.push(stop));
  startWorker(gw.url, upstream.url, { concurrency: 4, ...settings });
  const registers = () => gw.control().filter((f) => f.type === "register");
  await waitFor("registration", () => registers().length === 1);
  gw.send(
    JSON.stringify({
      type: "request",
      id: "1",
      requestId: "held",
      path: "/chat/completions",
      body: { model: "llama-small", stream: true, fake: { holdAfterFirst: true } },
      stream: true,
      window: 256 * 1024,
    }),
  );
  await waitFor("the first chunk", () => upstream.produced.get("held") === 1);
  upstream.responsesStatus = 400;
  return { upstream, gw, registers };
}

type LoggedLine = { level: string; message: string; fields?: Record<string, unknown> };

/** A worker's `log`, and the lines it was given. */
function loggedLines(): { lines: LoggedLine[]; log: WorkerLog } {
  const lines: LoggedLine[] = [];
  return {
    lines,
    log: (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) }),
  };
}

/** The worker drained, its line saying why: a call in flight all through `waitedMs`. */
async function drainedSaying(gw: ReturnType<typeof fakeGateway>, lines: LoggedLine[], waitedMs: number) {
  await waitFor("the drain", () => gw.control().some((f) => f.type === "drain"), 15_000);
  const why = lines.find((line) => line.message.startsWith("no moment without a call in flight"));
  expect(why).toEqual({
    level: "warn",
    message: "no moment without a call in flight: draining, to register again once they finished",
    fields: { in_flight: 1, waited_ms: waitedMs },
  });
}

function setup() {
  const upstream = startFakeUpstream();
  const gateway = startGateway();
  const state = { gateway };
  cleanups.push(async () => {
    await state.gateway.stop();
    upstream.stop();
  });
  return { upstream, state };
}

describe("worker lifecycle", () => {
  test("the upgrade is refused without a worker key, with a token in the query, or from a browser origin", async () => {
    const { state } = setup();
    const port = state.gateway.port;
    expect(await upgradeStatus(port, {})).toBe(401);
    expect(await upgradeStatus(port, { authorization: "Bearer wrong" })).toBe(401);
    expect(await upgradeStatus(port, { authorization: "Bearer user-key" })).toBe(403);
    expect(await upgradeStatus(port, { authorization: "Bearer worker-key" }, "?token=worker-key")).toBe(400);
    expect(
      await upgradeStatus(port, { authorization: "Bearer worker-key", origin: "https://evil.example" }),
    ).toBe(403);
  });

  test("drain: no new requests, in-flight ones finish, exit 0, its last line saying it drained", async () => {
    const { upstream, state } = setup();
    const lines: string[] = [];
    const { stop, exit } = worker(state.gateway.port, upstream.url, 16, (level, message) =>
      lines.push(`${level} ${message}`),
    );
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    const requestId = "in-flight";
    const reply = await state.gateway.call({
      body: { model: "llama-small", stream: true, fake: { chunks: 3, holdAfterFirst: true } },
      stream: true,
      requestId,
    });
    await waitFor("the first chunk", () => upstream.produced.get(requestId) === 1);
    stop.abort();
    await waitFor(
      "the drain to reach the gateway",
      () => state.gateway.registry.get("gpu-1")?.draining === true,
    );
    // Its model is draining, not gone: a 503 that says so, to come back to in a few seconds, never a 404.
    expect(state.gateway.registry.serves("llama-small", "default")).toBe(true);
    const refused = (await state.gateway
      .call({ body: { model: "llama-small" } })
      .catch((e) => e)) as GatewayError;
    expect([refused.status, refused.code, refused.headers["retry-after"]]).toEqual([503, "unavailable", "5"]);
    expect(refused.message).toBe("every worker serving llama-small is draining");
    expect(refused.retryable).toBe(true);
    upstream.release(requestId);
    expect(await collect(reply)).toHaveLength(4);
    expect(await exit).toBe(0);
    await waitFor("the worker to leave", () => state.gateway.registry.list().length === 0);
    expect(lines.at(-1)).toBe("info drained; stopped");
  });

  test("a model server that cannot list its models is named, and why, in the words of a call that failed", async () => {
    const { state } = setup();
    // One refusing connections (nothing listens on its port), one answering 503 (still loading).
    const closed = `http://127.0.0.1:${freePort()}`;
    const loading = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ error: { message: "loading" } }, { status: 503 }),
    });
    cleanups.push(() => loading.stop(true));
    const said: { message: string; fields?: Record<string, unknown> }[] = [];
    for (const base of [closed, loading.url.href.replace(/\/$/, "")]) {
      const stop = new AbortController();
      const exit = runWorker({
        connect: `ws://127.0.0.1:${state.gateway.port}`,
        token: "worker-key",
        upstream: `${base}/v1`,
        concurrency: 1,
        name: "gpu-1",
        labels: {},
        responsesApi: false,
        log: (_level, message, fields) => said.push({ message, ...(fields ? { fields } : {}) }),
        handleSignals: false,
        stop: stop.signal,
        backoff: { baseMs: 20, capMs: 100 },
      });
      await waitFor("a listing that failed", () =>
        said.some((line) => line.fields?.upstream === `${base}/v1/models`),
      );
      stop.abort();
      expect(await exit).toBe(0);
    }
    const failed = said.filter((line) => line.message.startsWith("could not list"));
    expect(failed[0]?.message).toBe(
      "could not list the upstream's models: connection refused (ECONNREFUSED); retrying",
    );
    expect(failed.at(-1)?.message).toBe("could not list the upstream's models: it answered 503; retrying");
    // The runtime's words beside a refused connection; none beside a 503, which the line says whole.
    expect([failed[0]?.fields?.error !== undefined, failed.at(-1)?.fields?.error]).toEqual([true, undefined]);
    // Never registered: nothing to drain, and its last line does not say it drained.
    expect(said.at(-1)?.message).toBe("stopped");
    expect(said.map((line) => line.message)).not.toContain("draining: finishing in-flight requests");
  });

  test("the worker comes back by itself after the gateway restarts", async () => {
    const { upstream, state } = setup();
    worker(state.gateway.port, upstream.url);
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    const port = state.gateway.port;
    await state.gateway.stop();
    state.gateway = startGateway({ port });
    await waitFor("re-registration", () => state.gateway.registry.serves("llama-small"));
    const reply = await state.gateway.call({ body: { model: "llama-small" } });
    expect(reply.kind).toBe("json");
  });

  test("a worker whose gateway is not there says it cannot reach it, and why", async () => {
    const { upstream, state } = setup();
    const port = state.gateway.port;
    await state.gateway.stop();
    const lines: string[] = [];
    worker(port, upstream.url, 16, (level, message) => lines.push(`${level} ${message}`));
    const dial = await waitForValue("a failed dial", () =>
      lines.find((line) => line.endsWith("; reconnecting")),
    );
    // Not "connection to the gateway lost": there never was one.
    expect(dial).toBe(
      `warn cannot reach the gateway at ws://127.0.0.1:${port}/workers/connect: connection refused (ECONNREFUSED); reconnecting`,
    );
    state.gateway = startGateway({ port });
    await waitFor("registration once it is up", () => state.gateway.registry.serves("llama-small"));
  });

  test("a worker stopped while its gateway is away has nothing to drain: its last line says it stopped, not that it drained", async () => {
    const { upstream, state } = setup();
    const lines: string[] = [];
    const { stop, exit } = worker(state.gateway.port, upstream.url, 16, (level, message) =>
      lines.push(`${level} ${message}`),
    );
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    await state.gateway.stop();
    await waitFor("the closed connection", () => lines.some((line) => line.endsWith("; reconnecting")));
    stop.abort();
    expect(await exit).toBe(0);
    expect(lines.at(-1)).toBe("info stopped");
    expect(lines.filter((line) => line.includes("drain"))).toEqual([]);
  });

  test("a worker whose register is past the gateway's message limit says so, its size and what to do, at error, and asks again", async () => {
    const { upstream, state } = setup();
    // 300 names of 250 characters (the schema admits 1,000 of 256): ~76 KB of JSON, past the
    // gateway's 64 KB, where a body chunk's frame always fits.
    const models = Array.from(
      { length: 300 },
      (_, i) => `llama-${String(i).padStart(3, "0")}-${"x".repeat(240)}`,
    );
    const lines: string[] = [];
    worker(
      state.gateway.port,
      upstream.url,
      16,
      (level, message) => lines.push(`${level} ${message}`),
      models,
    );
    const said = (line: string) =>
      line.startsWith("error the gateway closed the connection at this worker's register as too big");
    await waitFor("the refusal said twice (asked again)", () => lines.filter(said).length >= 2);
    expect(lines.find(said)).toMatch(
      /^error the gateway closed the connection at this worker's register as too big \(1009\): 7\d{4} bytes for 300 models, past its workers\.max_message; offer fewer models or shorter names \(--models\), or raise workers\.max_message on the gateway; reconnecting$/,
    );
    expect(lines.filter((line) => line.includes("connection to the gateway lost"))).toEqual([]);
    expect(state.gateway.registry.list()).toEqual([]);
  });

  test("a slow client pauses the worker's upstream read", async () => {
    const { upstream, state } = setup();
    worker(state.gateway.port, upstream.url);
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    const requestId = "slow";
    const total = 6_000;
    const reply = await state.gateway.call({
      body: { model: "llama-small", stream: true, fake: { chunks: total, chunkChars: 8_000 } },
      stream: true,
      requestId,
    });
    // Nothing reads: production must level off far below the total (window + socket buffers).
    let last = -1;
    let unchanged = 0;
    await waitFor("production to stall", () => {
      const now = upstream.produced.get(requestId) ?? 0;
      unchanged = now === last && now > 0 ? unchanged + 1 : 0;
      last = now;
      return unchanged >= 40;
    });
    expect(last).toBeLessThan(total / 2);
    expect(await collect(reply)).toHaveLength(total + 1);
    // 48 MB through the tunnel: 2.4–5.1 s at load 12–15, on main's code too (past the default 5 s).
  }, 30_000);

  test("announcing the Responses API once its upstream serves it: on the same connection, never drained, the call in flight runs on", async () => {
    const { upstream, state } = setup();
    // Still loading: the upstream cannot say whether it serves /responses, so the worker registers without it.
    upstream.responsesStatus = 503;
    const lines: string[] = [];
    startWorker(`ws://127.0.0.1:${state.gateway.port}`, upstream.url, {
      concurrency: 4,
      log: (level, message) => lines.push(`${level} ${message}`),
      drainTimeoutMs: 0,
    });
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    const connected = state.gateway.registry.get("gpu-1");
    const reply = await state.gateway.call({
      body: { model: "llama-small", stream: true, fake: { holdAfterFirst: true } },
      stream: true,
      requestId: "held",
    });
    await waitFor("the first chunk", () => upstream.produced.get("held") === 1);
    upstream.responsesStatus = 400;
    await waitFor("the announcement", () => connected?.responsesApi === true, 15_000);
    // The same connection, its call still open, never drained: its model was never away.
    expect(state.gateway.registry.get("gpu-1")).toBe(connected);
    expect([connected?.draining, connected?.inFlight]).toEqual([false, 1]);
    expect(lines).toContain("info announced the Responses API to the gateway");
    expect(lines.filter((line) => line.endsWith("registered with the gateway"))).toHaveLength(1);
    upstream.release("held");
    expect(await collect(reply)).toHaveLength(4);
    expect(upstream.aborted.has("held")).toBe(false);
    const said = state.gateway.logs.map((line) => `${line.level} ${line.message}`);
    expect(said).toContain("info worker's upstream serves the Responses API");
    expect(said.filter((line) => line.includes("worker draining") || line.includes("disconnected"))).toEqual(
      [],
    );
  }, 30_000);

  test("a gateway that reads no announce frame (an older release): registered again once no call is in flight, never drained before, with the models it had", async () => {
    const lines: string[] = [];
    const { upstream, gw, registers } = await heldAsResponsesComes({
      // None named: it offers what its upstream lists.
      models: undefined,
      log: (level, message) => lines.push(`${level} ${message}`),
      // Past the test's own waits: the call it holds is released first.
      drainTimeoutMs: 120_000,
    });
    await waitFor(
      "the worker's decision",
      () => lines.includes("info registering again to announce the Responses API once no call is in flight"),
      15_000,
    );
    // Still serving: no drain while its call runs, nothing closed.
    expect(gw.control().map((f) => f.type)).not.toContain("drain");
    upstream.release("held");
    await waitFor("the second registration", () => registers().length === 2);
    const types = gw.control().map((f) => f.type);
    // Its call ended first; then the drain and the close, in one write, and the new register.
    expect(types.indexOf("drain")).toBeGreaterThan(types.indexOf("end"));
    expect(registers()[1]).toMatchObject({ models: ["llama-small", "forbidden-model"], apis: ["responses"] });
    expect(upstream.aborted.has("held")).toBe(false);
    // The models it registered with, offered again: the upstream was not asked for them again.
    expect(upstream.listings).toBe(1);
  }, 30_000);

  test("a gateway that reads no announce frame, under steady traffic: after its drain timeout with a call always in flight, the worker says why, drains, and registers again once its calls finished, none cut", async () => {
    const { lines, log } = loggedLines();
    const { upstream, gw, registers } = await heldAsResponsesComes({
      log,
      // No moment without a call comes within it: the call below is held until the drain, and
      // released well within the drain's own deadline (the same timeout again).
      drainTimeoutMs: 250,
    });
    await drainedSaying(gw, lines, 250);
    // Drained, not closed: its call runs on to its end, then the worker registers again.
    expect(registers()).toHaveLength(1);
    upstream.release("held");
    await waitFor("the second registration", () => registers().length === 2);
    const types = gw.control().map((f) => f.type);
    expect(types.indexOf("end")).toBeGreaterThan(types.indexOf("drain"));
    expect(registers()[1]).toMatchObject({ models: ["llama-small"], apis: ["responses"] });
    expect(upstream.aborted.has("held")).toBe(false);
  }, 30_000);

  test("a gateway that reads no announce frame, a call stuck: after a second drain timeout the worker cuts it, as a stop's drain does, and registers again, its model draining no longer", async () => {
    const { lines, log } = loggedLines();
    const { upstream, gw, registers } = await heldAsResponsesComes({
      log,
      // No moment without a call comes within it, nor within the drain after it: the call is stuck.
      drainTimeoutMs: 50,
    });
    await drainedSaying(gw, lines, 50);
    await waitFor("the second registration", () => registers().length === 2, 15_000);
    expect(lines.find((line) => line.message.startsWith("drain deadline passed"))).toEqual({
      level: "warn",
      message: "drain deadline passed; aborting the rest to register again",
      fields: { in_flight: 1, waited_ms: 50 },
    });
    expect(registers()[1]).toMatchObject({ models: ["llama-small"], apis: ["responses"] });
    await waitFor("the stuck call cut upstream", () => upstream.aborted.has("held"));
  }, 30_000);

  test("a gateway slow to answer the register, that reads announce frames: the worker waits for its answer and announces on that connection, never registering again as if to an older gateway", async () => {
    const upstream = startFakeUpstream();
    cleanups.push(() => upstream.stop());
    upstream.responsesStatus = 503;
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const gw = fakeGateway(
      { batch: true, binaryAnswers: true, announce: true },
      (stop) => cleanups.push(stop),
      answered,
    );
    const lines: string[] = [];
    startWorker(gw.url, upstream.url, {
      concurrency: 4,
      log: (level, message) => lines.push(`${level} ${message}`),
      drainTimeoutMs: 0,
    });
    cleanups.push(() => answer());
    const registers = () => gw.control().filter((f) => f.type === "register");
    await waitFor("the register", () => registers().length === 1);
    // The upstream says it serves the endpoint before the gateway has answered.
    upstream.responsesStatus = 400;
    await waitFor(
      "the upstream's verdict",
      () => lines.includes("info the upstream serves the Responses API"),
      15_000,
    );
    answer();
    await waitFor("the announcement", () => gw.control().some((f) => f.type === "announce"), 15_000);
    expect(gw.control().find((f) => f.type === "announce")).toEqual({
      type: "announce",
      apis: ["responses"],
    });
    expect(lines).toContain("info announced the Responses API to the gateway");
    expect(lines.filter((line) => line.includes("registering again"))).toEqual([]);
    expect(registers()).toHaveLength(1);
    expect(gw.control().map((f) => f.type)).not.toContain("drain");
  }, 30_000);

  test("a worker at its capacity takes no more requests; the call is refused as retryable", async () => {
    const { upstream, state } = setup();
    worker(state.gateway.port, upstream.url, 1);
    await waitFor("registration", () => state.gateway.registry.serves("llama-small"));
    const held = await state.gateway.call({
      body: { model: "llama-small", stream: true, fake: { holdAfterFirst: true } },
      stream: true,
      requestId: "held",
    });
    const busy = (await state.gateway
      .call({ body: { model: "llama-small" } })
      .catch((e) => e)) as GatewayError;
    expect([busy.status, busy.retryable]).toEqual([503, true]);
    upstream.release("held");
    expect(await collect(held)).toHaveLength(4);
  });
});
