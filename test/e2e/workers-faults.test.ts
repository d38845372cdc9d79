import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { openRawWorker } from "../../src/workers/testing/raw-worker.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, type Sample, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  auditRow,
  createKey,
  type EventTail,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  tailEvents,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// Workers that die, go silent or drain. Both workers serve `fake-model`; worker a also
// serves `a-only`, which tells when the gateway has stopped routing to it. A small heartbeat
// timeout (interval = timeout / 3) keeps the silent-worker case short.
let gw: GatewayProcess;
let adminKey: string;
let workerKey: string;
let events: EventTail;
const fakes = new Map<string, FakeProcess>();
const workers = new Map<string, WorkerProcess>();
const MODELS: Record<string, string[]> = { a: ["fake-model", "a-only"], b: ["fake-model"] };

function startWorker(name: "a" | "b"): WorkerProcess {
  const fake = fakes.get(name) as FakeProcess;
  const worker = spawnWorker({
    gateway: gw.url,
    token: workerKey,
    upstream: `${fake.url}/v1`,
    name,
    models: MODELS[name] ?? [],
  });
  workers.set(name, worker);
  return worker;
}

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, own }) => {
    fakes.set("a", fake);
    fakes.set("b", own(await spawnFakeUpstream()));
    // A breaker that opens after three failures: the crowd test's four losses at once would open it.
    // No retries: a worker lost (or busy) is failed over to the other without spending one, which
    // the kill -9 tests show.
    return {
      workers: { heartbeat_timeout: "1.5s" },
      routing: { retries: 0, circuit_breaker: { failures: 3, cooldown: "30s" } },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  adminKey = gw.adminKey ?? "";
  fx.defer(async () => {
    for (const w of workers.values()) await w.stop("SIGKILL");
  });
  events = await tailEvents(gw.url, adminKey);
  fx.defer(() => events.close());
  workerKey = await createKey(gw.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
  startWorker("a");
  startWorker("b");
  await waitForWorkers(gw.url, adminKey, ["a", "b"]);
}, 60_000);

const openai = () => new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const say = (content: string) => [{ role: "user" as const, content }];

/** The name of the one worker with a request in flight. */
const busyWorker = () =>
  waitFor("a worker to have the request in flight", async () => {
    const busy = (await listWorkers(gw.url, adminKey)).filter((w) => w.inFlight > 0);
    return busy.length === 1 ? (busy[0]?.name as "a" | "b") : undefined;
  });

const other = (name: "a" | "b") => (name === "a" ? "b" : "a");

/** SIGTERM to `worker`, waited for until the gateway lists it (as `name`) draining. */
async function drain(worker: WorkerProcess, name: string): Promise<void> {
  worker.proc.kill("SIGTERM");
  await waitFor(`${name} to be draining`, async () =>
    (await listWorkers(gw.url, adminKey)).some((w) => w.name === name && w.draining),
  );
}

/**
 * A worker of the fleet's key beside a and b, on b's model server unless `upstream` says otherwise,
 * waited for until the gateway lists the three; stopped (SIGKILL) after the running test, whatever
 * happened, if the test has not stopped it itself.
 */
async function extraWorker(
  name: string,
  models: string[],
  options: { upstream?: string; args?: string[] } = {},
): Promise<WorkerProcess> {
  const worker = spawnWorker({
    gateway: gw.url,
    token: workerKey,
    upstream: options.upstream ?? `${(fakes.get("b") as FakeProcess).url}/v1`,
    name,
    models,
    ...(options.args ? { args: options.args } : {}),
  });
  fx.deferTest(() => worker.stop("SIGKILL"));
  await waitForWorkers(gw.url, adminKey, ["a", "b", name]);
  return worker;
}

/** The gateway's /metrics, parsed. */
async function scrapeMetrics(): Promise<Sample[]> {
  const response = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(response.status).toBe(200);
  return parsePrometheus(await response.text());
}

// Every test starts with both workers connected: one killed by the test before is replaced.
beforeEach(async () => {
  const listed = (await listWorkers(gw.url, adminKey)).map((w) => w.name);
  for (const name of ["a", "b"] as const) {
    if (listed.includes(name)) continue;
    await workers.get(name)?.stop("SIGKILL");
    startWorker(name);
  }
  await waitForWorkers(gw.url, adminKey, ["a", "b"]);
}, 30_000);

describe("workers: faults", () => {
  test("kill -9 mid-stream: the client's stream ends with an error event, audited worker_lost", async () => {
    const stream = await openai().chat.completions.create(
      {
        model: "fake-model",
        messages: say("doomed stream [[fake:chunks=40,chunk-delay=100]]"),
        stream: true,
      },
      { headers: { "x-request-id": "wk-fault-mid" } },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const victim = await busyWorker();
    (workers.get(victim) as WorkerProcess).proc.kill("SIGKILL");
    const failure = await (async () => {
      while (!(await iterator.next()).done) {}
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe("worker_lost");
    const row = await auditRow(gw.url, adminKey, "wk-fault-mid");
    expect(row).toEqual(
      expect.objectContaining({ route: `worker:${victim}`, errorClass: "worker_lost", stream: true }),
    );
    expect(row.status).toBeGreaterThanOrEqual(500);
    await waitFor("the worker.lost event", () =>
      events.events.some((e) => e.type === "worker.lost" && e.worker?.name === victim),
    );
    // The model server behind the dead worker sees its connection go away.
    await waitFor("the upstream to see the abort", async () =>
      (await (fakes.get(victim) as FakeProcess).requests()).some((r) => r.outcome === "aborted"),
    );
  }, 60_000);

  test("kill -9 mid-stream on /v1/messages: the Anthropic SDK sees an `error` event", async () => {
    const anthropic = new Anthropic({ apiKey: adminKey, baseURL: gw.url, maxRetries: 0 });
    const stream = await anthropic.messages.create(
      {
        model: "fake-model",
        max_tokens: 100,
        messages: [{ role: "user", content: "doomed message [[fake:chunks=40,chunk-delay=100]]" }],
        stream: true,
      },
      { headers: { "x-request-id": "wk-fault-mid-anthropic" } },
    );
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.type).toBe("message_start");
    const victim = await busyWorker();
    (workers.get(victim) as WorkerProcess).proc.kill("SIGKILL");
    const failure = await (async () => {
      while (!(await iterator.next()).done) {}
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(JSON.stringify((failure as InstanceType<typeof Anthropic.APIError>).error)).toContain("worker");
    const row = await auditRow(gw.url, adminKey, "wk-fault-mid-anthropic");
    expect(row).toEqual(expect.objectContaining({ route: `worker:${victim}`, errorClass: "worker_lost" }));
  }, 60_000);

  test("kill -9 before the first byte: the request fails over to the other worker and succeeds, with retries: 0", async () => {
    // ttfb: the upstream sends its headers at once and the first token later, like a model
    // server doing prefill; nothing has reached the client when the worker dies.
    const pending = openai().chat.completions.create(
      {
        model: "fake-model",
        messages: say("survivor [[fake:ttfb=1500]]"),
        stream: true,
      },
      { headers: { "x-request-id": "wk-fault-ttfb" } },
    );
    const victim = await busyWorker();
    const victimFake = fakes.get(victim) as FakeProcess;
    await waitFor("the upstream to have the request", async () =>
      (await victimFake.requests()).some((r) => JSON.stringify(r.body).includes("survivor")),
    );
    (workers.get(victim) as WorkerProcess).proc.kill("SIGKILL");
    let text = "";
    for await (const chunk of await pending) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("echo: survivor");
    const row = await auditRow(gw.url, adminKey, "wk-fault-ttfb");
    expect(row).toEqual(expect.objectContaining({ route: `worker:${other(victim)}`, status: 200 }));
  }, 60_000);

  test("kill -9 while the upstream has not answered at all: non-stream fails over too, with retries: 0", async () => {
    const pending = openai().chat.completions.create(
      { model: "fake-model", messages: say("patient [[fake:delay=1500]]") },
      { headers: { "x-request-id": "wk-fault-delay" } },
    );
    const victim = await busyWorker();
    await waitFor("the upstream to have the request", async () =>
      (await (fakes.get(victim) as FakeProcess).requests()).some((r) =>
        JSON.stringify(r.body).includes("patient"),
      ),
    );
    (workers.get(victim) as WorkerProcess).proc.kill("SIGKILL");
    expect((await pending).choices[0]?.message.content).toBe("echo: patient");
    const row = await auditRow(gw.url, adminKey, "wk-fault-delay");
    expect(row).toEqual(expect.objectContaining({ route: `worker:${other(victim)}`, status: 200 }));
  }, 60_000);

  test("kill -9 with four requests waiting on the worker: every one fails over, none is refused by the breaker", async () => {
    // Four losses at once would open a breaker counted per route (`workers/fake-model`, every
    // worker's; three failures here): the model refused on the worker left. A lost worker is that
    // worker's end. Eight requests, four a worker: the survivor's concurrency (8) takes them all.
    const pending = Array.from({ length: 8 }, (_, i) =>
      openai().chat.completions.create(
        { model: "fake-model", messages: say(`crowd ${i} [[fake:delay=2500]]`) },
        { headers: { "x-request-id": `wk-crowd-${i}` } },
      ),
    );
    const onA = await waitFor("four requests at worker a's upstream", async () => {
      const seen = (await (fakes.get("a") as FakeProcess).requests()).filter((r) =>
        JSON.stringify(r.body).includes("crowd"),
      );
      return seen.length >= 4 ? seen.length : undefined;
    });
    expect(onA).toBe(4);
    (workers.get("a") as WorkerProcess).proc.kill("SIGKILL");
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.choices[0]?.message.content)).toEqual(
      Array.from({ length: 8 }, (_, i) => `echo: crowd ${i}`),
    );
    for (let i = 0; i < 8; i++)
      expect(await auditRow(gw.url, adminKey, `wk-crowd-${i}`)).toEqual(
        expect.objectContaining({ route: "worker:b", status: 200 }),
      );
  }, 60_000);

  test("a worker that stops heartbeating is removed; traffic goes to the other", async () => {
    const silent = workers.get("b") as WorkerProcess;
    silent.proc.kill("SIGSTOP");
    try {
      await waitForWorkers(gw.url, adminKey, ["a"]);
      await waitFor("the worker.lost event", () =>
        events.events.some(
          (e) => e.type === "worker.lost" && e.worker?.name === "b" && e.reason === "heartbeat timeout",
        ),
      );
      const reply = await openai().chat.completions.create(
        { model: "fake-model", messages: say("after silence") },
        { headers: { "x-request-id": "wk-fault-silent" } },
      );
      expect(reply.choices[0]?.message.content).toBe("echo: after silence");
      expect((await auditRow(gw.url, adminKey, "wk-fault-silent")).route).toBe("worker:a");
    } finally {
      silent.proc.kill("SIGCONT");
    }
    // Woken up, it finds its connection closed and registers again by itself.
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
    expect(silent.proc.exitCode).toBeNull();
  }, 60_000);

  test("a new worker for a model whose only worker's failures opened the breaker is tried at once, not after the cooldown", async () => {
    // c's model server is not there: every request for c-only fails on it, and, c being the only
    // worker, counts against workers/c-only until the breaker opens (3 failures, 30 s).
    const broken = await extraWorker("c", ["c-only"], { upstream: `http://127.0.0.1:${freePort()}/v1` });
    const ask = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "c-only", messages: say("are you there") }),
      });
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(502);
    const open = await ask();
    expect(open.status).toBe(503);
    expect(((await open.json()) as { error: { code: string } }).error.code).toBe("no_route_available");
    // The operator stops it and starts one whose model server answers.
    await broken.stop("SIGKILL");
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
    await extraWorker("c-fixed", ["c-only"]);
    const served = await ask();
    expect(served.status).toBe(200);
    // An info line is written with its batch, a moment after: waited for, not read at once.
    await waitFor("the breaker's half-open line", () =>
      (gw.stdout.all + gw.stderr.all).includes("route breaker half-open: its next request probes it"),
    );
  }, 60_000);

  test("a stream cut at its worker's drain deadline ends in those words (503, retryable), not as a worker lost, and the gateway warns", async () => {
    const slow = await extraWorker("d", ["d-only"], { args: ["--drain-timeout", "1s"] });
    const stream = await openai().chat.completions.create(
      // 60 chunks 200 ms apart: twelve seconds, far past the worker's drain deadline.
      { model: "d-only", messages: say("cut me [[fake:chunks=60,chunkDelay=200]]"), stream: true },
      { headers: { "x-request-id": "wk-fault-drain-cut" } },
    );
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    slow.proc.kill("SIGTERM");
    const failure = await (async () => {
      while (!(await iterator.next()).done) {}
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toContain(
      "worker d: closed its connection while draining (drain deadline passed with 1 in flight)",
    );
    expect(await slow.stop("SIGTERM", 20_000)).toBe(0);
    const row = await auditRow(gw.url, adminKey, "wk-fault-drain-cut");
    expect([row.status, row.errorClass]).toEqual([503, "unavailable"]);
    const logged = gw.stdout.all + gw.stderr.all;
    expect(logged).toContain("worker disconnected with requests in flight: they were cut");
    expect(logged).toContain("drain deadline passed with 1 in flight");
    expect(logged).not.toContain("worker d was lost");
  }, 60_000);

  test("calls waiting on a lone worker's answer at its drain deadline (a non-stream call, a stream before its head) end in the close's words, 503 with Retry-After: 5, not 'no connected worker serves'", async () => {
    const lone = await extraWorker("dl", ["dl-only"], { args: ["--drain-timeout", "1s"] });
    const call = (id: string, stream: boolean) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${adminKey}`,
          "content-type": "application/json",
          "x-request-id": id,
        },
        body: JSON.stringify({ model: "dl-only", stream, messages: say(`${id} [[fake:hang]]`) }),
      }).then((answer) => ({ id, answer }));
    const waiting = [call("wk-fault-dl-whole", false), call("wk-fault-dl-head", true)];
    await waitFor("both calls at the upstream", async () => {
      const asked = (await (fakes.get("b") as FakeProcess).requests()).map((r) => JSON.stringify(r.body));
      return (
        asked.some((b) => b.includes("wk-fault-dl-whole")) &&
        asked.some((b) => b.includes("wk-fault-dl-head"))
      );
    });
    lone.proc.kill("SIGTERM");
    for (const { id, answer } of await Promise.all(waiting)) {
      const body = (await answer.json()) as { error: { code: string; message: string } };
      expect([answer.status, answer.headers.get("retry-after"), body.error.code, body.error.message]).toEqual(
        [
          503,
          "5",
          "unavailable",
          "worker dl: closed its connection while draining (drain deadline passed with 2 in flight)",
        ],
      );
      const row = await auditRow(gw.url, adminKey, id);
      expect([row.status, row.errorClass]).toEqual([503, "unavailable"]);
    }
    expect(await lone.stop("SIGTERM", 20_000)).toBe(0);
  }, 60_000);

  test("kill -9 of a lone worker while a call waits on its answer: the caller hears the worker was lost (502, to retry), not 'no connected worker serves'", async () => {
    const lone = await extraWorker("kl", ["kl-only"]);
    const waiting = fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "kl-only", messages: say("wk-fault-kl [[fake:hang]]") }),
    });
    await waitFor("the call at the upstream", async () =>
      (await (fakes.get("b") as FakeProcess).requests()).some((r) =>
        JSON.stringify(r.body).includes("wk-fault-kl"),
      ),
    );
    lone.proc.kill("SIGKILL");
    const answer = await waiting;
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect([answer.status, body.error.code, body.error.message]).toEqual([
      502,
      "worker_lost",
      "worker kl was lost",
    ]);
  }, 60_000);

  test("SIGTERM drains a worker: its stream completes, nothing new is routed to it, its own model answers 503 'is draining' with Retry-After: 5, exit 0", async () => {
    const draining = workers.get("a") as WorkerProcess;
    const stream = await openai().chat.completions.create({
      model: "a-only",
      messages: say("drain me [[fake:chunks=10,chunk-delay=150]]"),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    let text = "";
    const first = await iterator.next();
    if (!first.done) text += first.value.choices[0]?.delta?.content ?? "";
    await drain(draining, "a");
    // `a-only`, served by a alone, is draining, not gone: still listed, and a request for it is a
    // 503 that says so, to come back to in a few seconds (which the SDKs retry), never a 404, and
    // never "at capacity" while a has room.
    expect((await openai().models.list()).data.map((m) => m.id)).toContain("a-only");
    const busy = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "a-only", messages: say("while a drains") }),
    });
    expect([busy.status, busy.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(((await busy.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "unavailable",
      message: "every worker serving a-only is draining",
    });
    for (const n of [1, 2, 3]) {
      const id = `wk-fault-drain-${n}`;
      await openai().chat.completions.create(
        { model: "fake-model", messages: say(`while draining ${n}`) },
        { headers: { "x-request-id": id } },
      );
      expect((await auditRow(gw.url, adminKey, id)).route).toBe("worker:b");
    }
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      text += next.value.choices[0]?.delta?.content ?? "";
    expect(text.replace(/ more\d+/g, "")).toBe("echo: drain me");
    expect(await draining.stop("SIGTERM", 20_000)).toBe(0);
    await waitForWorkers(gw.url, adminKey, ["b"]);
  }, 60_000);

  test("kill -9 of a worker while the model's only other worker drains: the caller hears the model is draining (503, Retry-After: 5), not the lost worker's 502", async () => {
    const draining = workers.get("a") as WorkerProcess;
    // a holds a stream of its own model while it drains, so it stays connected, taking nothing new.
    const stream = await openai().chat.completions.create({
      model: "a-only",
      messages: say("hold on [[fake:chunks=40,chunk-delay=100]]"),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await drain(draining, "a");
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${adminKey}`,
        "content-type": "application/json",
        "x-request-id": "wk-fault-lost-beside-draining",
      },
      body: JSON.stringify({ model: "fake-model", messages: say("stranded [[fake:delay=5000]]") }),
    });
    await waitFor("b's upstream to have the request", async () =>
      (await (fakes.get("b") as FakeProcess).requests()).some((r) =>
        JSON.stringify(r.body).includes("stranded"),
      ),
    );
    (workers.get("b") as WorkerProcess).proc.kill("SIGKILL");
    const refused = await pending;
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "unavailable",
      message: "every worker serving fake-model is draining",
    });
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {}
    expect(await draining.stop("SIGTERM", 20_000)).toBe(0);
  }, 60_000);

  test('/metrics counts a draining worker apart: its capacity is none of what takes new calls, it and its call under draining="true"', async () => {
    const scrape = scrapeMetrics;
    const workerSeries = (s: Sample[]) => ({
      capacity: sampleValue(s, "mindgw_worker_capacity"),
      connected: ["false", "true"].map((draining) =>
        sampleValue(s, "mindgw_workers_connected", { draining, out_of_rotation: "false" }),
      ),
      inFlight: ["false", "true"].map((draining) =>
        sampleValue(s, "mindgw_worker_requests_in_flight", { draining, out_of_rotation: "false" }),
      ),
    });
    const draining = workers.get("a") as WorkerProcess;
    // a holds a call of its own model that its upstream never answers: it stays connected, draining.
    const holding = new AbortController();
    const held = fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "a-only", messages: say("metrics hold [[fake:hang]]") }),
      signal: holding.signal,
    }).catch(() => undefined);
    await waitFor("a's upstream to have the call", async () =>
      (await (fakes.get("a") as FakeProcess).requests()).some((r) =>
        JSON.stringify(r.body).includes("metrics hold"),
      ),
    );
    // Two workers of the default concurrency (8), both taking calls.
    expect(workerSeries(await scrape())).toEqual({ capacity: 16, connected: [2, 0], inFlight: [1, 0] });
    await drain(draining, "a");
    // What can take a new call is b's 8 alone: a's 8, with 7 free, takes none.
    expect(workerSeries(await scrape())).toEqual({ capacity: 8, connected: [1, 1], inFlight: [0, 1] });
    holding.abort();
    await held;
    expect(await draining.stop("SIGTERM", 20_000)).toBe(0);
  }, 60_000);

  /**
   * A model server that answers every call with one of OpenAI's own failures: the key refused
   * (`--upstream-key` wrong or revoked), or a server fault.
   */
  const failingServer = (status: 401 | 500) =>
    Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        Response.json(
          status === 401
            ? {
                error: {
                  message:
                    "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
                  type: "invalid_request_error",
                  param: null,
                  code: "invalid_api_key",
                },
              }
            : {
                error: {
                  message: "The server had an error while processing your request.",
                  type: "server_error",
                  param: null,
                  code: null,
                },
              },
          { status },
        ),
    });

  test.each([
    // Why, as the gateway says its own upstreams' (the frame's message): a code, never the host.
    ["refuses connections", undefined, "could not reach the upstream: connection refused (ECONNREFUSED)"],
    ["refuses the worker's key (401)", 401, "worker down's model server refused its --upstream-key (401)"],
    ["fails (500)", 500, "worker down answered 500"],
  ] as const)(
    "a worker whose model server %s is taken out of rotation; every request is served by the others, the model's breaker stays closed, and its capacity is no room for new calls",
    async (_case, status, reason) => {
      // Three failures open the breaker of `workers/fake-model` here: counted there, the failing
      // upstream of one worker would refuse the model on a and b too (503 "temporarily out of service").
      const server = status === undefined ? undefined : failingServer(status);
      // Stopped after the test whatever happens, the worker's start below included.
      fx.deferTest(() => server?.stop(true));
      const down = await extraWorker("down", ["fake-model"], {
        upstream: `http://127.0.0.1:${server?.port ?? freePort()}/v1`,
        args: ["--no-responses-api"],
      });
      const logged = gw.stderr.all.length;
      try {
        const ask = async () => {
          const res = await fetch(`${gw.url}/v1/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
            body: JSON.stringify({ model: "fake-model", messages: say("anyone there?") }),
          });
          return `${res.status} ${res.status === 200 ? "" : ((await res.json()) as { error: { message: string } }).error.message}`;
        };
        // A burst while down is in rotation: each call sent to it goes on to a or b at once, with
        // retries: 0, and none is counted against the model's breaker.
        expect(await Promise.all(Array.from({ length: 8 }, ask))).toEqual(Array(8).fill("200 "));
        // An answer other than a 200 ends the wait: each poll's, asserted once after it.
        const taken = await waitFor(
          "down to be taken out of rotation",
          async () => {
            const answer = await ask();
            if (answer !== "200 ") return { answer, ejectedUntil: undefined };
            const ejectedUntil = (await listWorkers(gw.url, adminKey)).find(
              (w) => w.name === "down",
            )?.ejectedUntil;
            return ejectedUntil !== undefined && { answer, ejectedUntil };
          },
          30_000,
        );
        expect(taken.answer).toBe("200 ");
        expect(taken.ejectedUntil).toBeGreaterThan(Date.now());
        // Out of rotation, down's 8 are no room for new calls: a's and b's alone; it is still
        // connected, counted apart from the two taking calls.
        const samples = await scrapeMetrics();
        const outOfRotation = (out_of_rotation: string) => ({ draining: "false", out_of_rotation });
        expect([
          sampleValue(samples, "mindgw_worker_capacity"),
          sampleValue(samples, "mindgw_workers_connected", outOfRotation("false")),
          sampleValue(samples, "mindgw_workers_connected", outOfRotation("true")),
          sampleValue(samples, "mindgw_worker_requests_in_flight", outOfRotation("true")),
        ]).toEqual([16, 2, 1, 0]);
        expect(await Promise.all(Array.from({ length: 8 }, ask))).toEqual(Array(8).fill("200 "));
        const log = gw.stderr.all.slice(logged);
        expect(log).toMatch(/worker taken out of rotation: its upstream keeps failing worker=down/);
        // The operator reads whose fault it was: the worker's, in its words.
        expect(log).toContain(reason);
        expect(log).not.toContain("route breaker opened");
      } finally {
        await down.stop("SIGKILL");
      }
      await waitForWorkers(gw.url, adminKey, ["a", "b"]);
    },
    60_000,
  );

  test("a worker that stops reading is sent no more than its connection holds: large requests are refused as busy, its open stream finishes", async () => {
    // A gateway of its own: this file's removes a worker silent for 1.5 s.
    const solo = await fx.spawn({});
    const soloKey = solo.adminKey ?? "";
    const token = await createKey(solo.url, soloKey, { name: "slow", role: "worker", models: ["*"] });
    const slow = spawnWorker({
      gateway: solo.url,
      token,
      upstream: `${(fakes.get("a") as FakeProcess).url}/v1`,
      name: "slow",
      models: ["fake-model"],
      concurrency: 32,
    });
    fx.deferTest(() => slow.stop("SIGKILL"));
    const [registered] = await waitForWorkers(solo.url, soloKey, ["slow"]);
    const post = (body: object) =>
      fetch(`${solo.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${soloKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const stream = post({
      model: "fake-model",
      stream: true,
      messages: say("keep going [[fake:chunks=20,chunk-delay=100]]"),
    }).then((res) => res.text());
    await waitFor(
      "the stream on the worker",
      async () => (await listWorkers(solo.url, soloKey))[0]?.inFlight === 1,
    );
    slow.proc.kill("SIGSTOP");
    // Twelve 8 MB bodies: more than the 64 MiB Bun buffers for a socket before it closes it.
    const image = `data:image/png;base64,${Buffer.alloc(6 * 1024 * 1024, 7).toString("base64")}`;
    const content = [
      { type: "text", text: "big" },
      { type: "image_url", image_url: { url: image } },
    ];
    let answered = 0;
    const big = Array.from({ length: 12 }, () =>
      post({ model: "fake-model", messages: [{ role: "user", content }] }).then(async (res) => {
        answered++;
        return {
          status: res.status,
          body: (await res.json()) as { error?: { code: string; message: string } },
        };
      }),
    );
    // Each is queued on the worker's connection or answered (refused) before the worker reads again.
    await waitFor(
      "every large request queued or refused",
      async () => {
        const listed = (await listWorkers(solo.url, soloKey))[0];
        return listed === undefined || (answered > 0 && answered + listed.inFlight - 1 === big.length);
      },
      60_000,
    );
    slow.proc.kill("SIGCONT");
    const results = await Promise.all(big);
    const statuses = results.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    for (const { status, body } of results)
      if (status !== 200)
        expect([status, body.error?.code, body.error?.message]).toEqual([
          503,
          "unavailable",
          "worker slow: its connection is backed up",
        ]);
    // The stream open on it when it stopped reading ends whole: the connection was never closed.
    const text = await stream;
    expect(text).toContain("data: [DONE]");
    expect(text).not.toContain("worker_lost");
    expect((await listWorkers(solo.url, soloKey)).map((w) => w.id)).toEqual([registered?.id ?? "registered"]);
    expect(solo.stderr.all).not.toContain("worker lost");
  }, 120_000);
  test("a worker that ignores its flow-control credit is cut off: its stream fails, its connection closes 1008", async () => {
    // A hand-driven worker with an ordinary worker key answers with a head and 8 MB of chunks at
    // once, never waiting for credit, while the client reads nothing: once the client's socket
    // buffers are full the gateway holds no more than the stream's window and one chunk, then
    // fails the stream and drops the worker.
    const raw = await openRawWorker(gw.port, workerKey);
    fx.deferTest(() => raw.socket.close());
    expect((await raw.register(["flood-model"], "flooder")).type).toBe("registered");
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${adminKey}`,
        "content-type": "application/json",
        "x-request-id": "wk-fault-flood",
      },
      body: JSON.stringify({ model: "flood-model", stream: true, messages: say("flood") }),
    });
    const request = await raw.next("request");
    raw.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    const delta = { content: "y".repeat(60_000) };
    const piece = `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "flood-model", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    for (let sent = 0; sent < 8 * 1024 * 1024; sent += piece.length) raw.sendChunk(request.id, piece);
    expect(await raw.waitClosed()).toEqual({
      code: 1008,
      reason: "worker flooder overran its flow-control window",
    });
    const res = await pending;
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("worker flooder overran its flow-control window");
    // The log line is written with its batch and read from the pipe a moment after the close the
    // worker saw: waited for, not read at once.
    await waitFor("the flooder's protocol-error line", () =>
      /worker connection closed: protocol error.*worker=flooder/.test(gw.stderr.all),
    );
    const row = await auditRow(gw.url, adminKey, "wk-fault-flood");
    expect(row).toEqual(expect.objectContaining({ route: "worker:flooder", errorClass: "upstream_error" }));
    // Credit only for what went on to the client (the socket's buffers take some while it reads nothing).
    let credited = 0;
    for (const frame of raw.frames) if (frame.type === "credit") credited += frame.bytes;
    expect(credited).toBeLessThanOrEqual(text.length);
  }, 60_000);
});
