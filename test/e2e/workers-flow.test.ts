import { beforeAll, describe, expect, test } from "bun:test";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerOptions,
  type WorkerProcess,
} from "./harness/spawn-worker.ts";
import { START_BOUND_MS } from "./harness/start-bound.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// Flow control through the tunnel: a client that reads slowly must stall the worker's read of
// its upstream (credit), not pile the answer up in the gateway's or the worker's memory.
let gw: GatewayProcess;
let adminKey: string;
let fake: FakeProcess;
let worker: WorkerProcess;

const fx = gatewayFixture({ fake: () => spawnFakeUpstream() });

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  ({
    workers: [worker],
  } = await connectFleet(fx, [{ upstream: `${fake.url}/v1`, name: "w", models: ["fake-model"] }]));
}, 60_000);

/** Resident memory in MiB, from /proc. */
async function rssMib(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? Number.NaN) / 1024;
}

const WORDS = 1_000_000;
const MIB = 1024 * 1024;

describe("workers: a slow client", () => {
  test("pauses the upstream instead of growing the gateway's or the worker's memory", async () => {
    // The fake echoes the prompt one word per SSE event: a 2 MB prompt of one-letter words is
    // an answer of about a million events, well over 100 MB of SSE.
    const prompt = "a ".repeat(WORDS);
    const baseline = { gateway: await rssMib(gw.proc.pid), worker: await rssMib(worker.proc.pid) };
    const abort = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "fake-model",
        stream: true,
        messages: [{ role: "user", content: prompt }],
      }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    const peak = { ...baseline };
    const sample = async () => {
      peak.gateway = Math.max(peak.gateway, await rssMib(gw.proc.pid));
      peak.worker = Math.max(peak.worker, await rssMib(worker.proc.pid));
    };
    // A client far slower than the upstream: a read every 100 ms, then a 3 s stall, then a
    // few more reads. Both processes' memory is sampled all along.
    const readSome = async (reads: number) => {
      for (let i = 0; i < reads; i++) {
        const { value, done } = await reader.read();
        expect(done).toBe(false);
        received += value?.byteLength ?? 0;
        await sample();
        await Bun.sleep(100); // stimulus: the slow reader's pace
      }
    };
    await readSome(10);
    for (let i = 0; i < 30; i++) {
      await sample();
      await Bun.sleep(100); // stimulus: the stall, sampled
    }
    await readSome(10);
    const [upstream] = await fake.requests();
    console.log(
      `slow client: read ${(received / MIB).toFixed(2)} MiB; RSS MiB gateway ${baseline.gateway.toFixed(0)} → peak ${peak.gateway.toFixed(0)}, worker ${baseline.worker.toFixed(0)} → peak ${peak.worker.toFixed(0)}; upstream outcome ${upstream?.outcome}`,
    );
    // The answer is far from complete when the client has read only a few MB of it.
    expect(upstream?.outcome).toBeNull();
    // Bounds measured, not guessed: with credit, growth stayed under ~90 MiB (gateway: the
    // 2 MB prompt and the garbage of relaying what the client did read) and ~40 MiB (worker);
    // with the worker's credit wait removed, the same run grew by ~280 MiB and ~175 MiB.
    expect(peak.gateway - baseline.gateway).toBeLessThan(160);
    expect(peak.worker - baseline.worker).toBeLessThan(120);
    // The client leaves: the cancel travels through the gateway and the worker to the upstream.
    abort.abort();
    await reader.cancel().catch(() => {});
    await waitFor(
      "the upstream to see the abort",
      async () => (await fake.requests())[0]?.outcome === "aborted",
    );
  }, 60_000);
});

// Registration the gateway would refuse: the worker says why (and stops when retrying cannot help)
// instead of reconnecting forever on a bare close code.
describe("workers: registering", () => {
  let token: string;
  beforeAll(async () => {
    token = await createKey(gw.url, adminKey, { name: "registering", role: "worker", models: ["*"] });
  });

  const start = (options: Omit<WorkerOptions, "gateway" | "token">): WorkerProcess => {
    const started = spawnWorker({
      gateway: gw.url,
      token,
      ...options,
      args: ["--no-responses-api", ...(options.args ?? [])],
    });
    fx.deferTest(() => started.stop("SIGKILL"));
    return started;
  };
  const exitOf = (worker: WorkerProcess) =>
    waitFor(`worker ${worker.name} to exit`, () => worker.proc.exitCode ?? undefined, 15_000);
  /** An upstream whose `GET /v1/models` answers these lists, one a call. */
  const listing = (...lists: string[][]): CannedUpstream => {
    const up = fx.own(startCannedUpstream());
    for (const ids of lists)
      up.queue({
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ object: "list", data: ids.map((id) => ({ id, object: "model" })) }),
      });
    return up;
  };

  test("an --upstream that is no http(s) URL ends the worker at once with exit 2, naming the flag", async () => {
    // Each used to be retried forever ("fetch() URL is invalid"), or, with --models, registered
    // to answer every request with a 502.
    for (const upstream of ["127.0.0.1:18701/v1", "notaurl"]) {
      const worker = start({ upstream, name: "no-url", models: ["fake-model"] });
      expect(await exitOf(worker)).toBe(2);
      await worker.stderr.done;
      expect(worker.stderr.all).toContain(
        `mindgw: --upstream: ${upstream} names no scheme (http:// or https://)`,
      );
    }
    expect((await listWorkers(gw.url, adminKey)).some((w) => w.name === "no-url")).toBe(false);
  });

  test("a --name or --label the gateway's schema refuses ends the worker with exit 2 and its bound, in words", async () => {
    const upstream = `${fake.url}/v1`;
    const named = start({ upstream, name: "n".repeat(200), models: ["fake-model"] });
    const labelled = start({
      upstream,
      name: "labelled",
      models: ["fake-model"],
      labels: { note: "v".repeat(300) },
    });
    expect(await exitOf(named)).toBe(2);
    expect(named.stderr.all).toContain("--name: at most 128 characters");
    expect(await exitOf(labelled)).toBe(2);
    expect(labelled.stderr.all).toContain("--label note: at most 256 characters");
  });

  test("a discovered model id too long to offer (llama.cpp's -m path) is skipped with a hint; the others are offered", async () => {
    const gguf = `/srv/models/${"Meta-Llama-3.1-70B-Instruct-abliterated-v2/".repeat(6)}model-Q4_K_M.gguf`;
    const up = listing([gguf, "short-model"]);
    const worker = start({ upstream: `${up.url}/v1`, name: "gguf" });
    const [listed] = await waitFor(
      "the worker to register",
      async () => {
        const found = (await listWorkers(gw.url, adminKey)).filter((w) => w.name === "gguf");
        return found.length ? found : undefined;
      },
      START_BOUND_MS,
    );
    expect(listed?.models).toEqual(["short-model"]);
    expect(worker.stderr.all).toContain("skipping a model id the gateway cannot take");
    expect(worker.stderr.all).toContain("--alias");
  });

  test("an upstream that lists no models yet is asked again until it does (Ollama before a pull)", async () => {
    const up = listing([], ["pulled-model"]);
    const worker = start({ upstream: `${up.url}/v1`, name: "ollama" });
    const [listed] = await waitFor(
      "the worker to register",
      async () => {
        const found = (await listWorkers(gw.url, adminKey)).filter((w) => w.name === "ollama");
        return found.length ? found : undefined;
      },
      START_BOUND_MS,
    );
    expect(listed?.models).toEqual(["pulled-model"]);
    expect(worker.stderr.all).toContain("the upstream lists no models");
    expect(worker.proc.exitCode).toBeNull();
  });

  test("the upstream's key can come from MINDGW_UPSTREAM_KEY, out of the command line", async () => {
    const up = listing(["keyed-model"]);
    const worker = start({
      upstream: `${up.url}/v1`,
      name: "keyed",
      env: { MINDGW_UPSTREAM_KEY: "up-secret-0123" },
    });
    await waitFor(
      "the worker to register",
      async () => (await listWorkers(gw.url, adminKey)).some((w) => w.name === "keyed"),
      START_BOUND_MS,
    );
    expect(up.requests[0]).toMatchObject({ path: "/v1/models" });
    expect(up.requests[0]?.headers.authorization).toBe("Bearer up-secret-0123");
    expect(await Bun.file(`/proc/${worker.proc.pid}/cmdline`).text()).not.toContain("up-secret-0123");
  });

  test("a --connect with no worker endpoint behind it (404) is said, with what to check, and retried", async () => {
    const worker = spawnWorker({
      gateway: `${gw.url}/not-here`,
      token,
      upstream: `${fake.url}/v1`,
      name: "lost",
      models: ["fake-model"],
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    // Said once it has started and dialled: a start, bounded as one.
    await waitFor("the worker to say why", () => worker.stderr.all.includes("(404)"), START_BOUND_MS);
    expect(worker.stderr.all).toContain(
      "check that workers.enabled is on in the gateway's config and that --connect is right",
    );
    expect(worker.proc.exitCode).toBeNull();
  });
});

describe("workers: the drain deadline", () => {
  test("--drain-timeout bounds how long SIGTERM waits on a call: then it is aborted, exit 0", async () => {
    const token = await createKey(gw.url, adminKey, { name: "draining", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "drainer",
      models: ["drain-model"],
      args: ["--no-responses-api", "--drain-timeout", "1s"],
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    await waitFor(
      "the worker to register",
      async () => (await listWorkers(gw.url, adminKey)).some((w) => w.name === "drainer"),
      START_BOUND_MS,
    );
    const client = new AbortController();
    fx.deferTest(() => client.abort());
    void fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "drain-model",
        messages: [{ role: "user", content: "drain [[fake:hang]]" }],
      }),
      signal: client.signal,
    }).catch(() => {});
    const upstreamCall = async () =>
      (await fake.requests()).find((r) => JSON.stringify(r.body).includes("drain [[fake:hang]]"));
    await waitFor("the call to reach the upstream", upstreamCall);
    worker.proc.kill("SIGTERM");
    // Bounded well under the default 30 s: only the flag's 1 s lets it exit in time.
    expect(await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 15_000)).toBe(0);
    expect(worker.stderr.all).toContain("drain deadline passed; aborting the rest");
    await waitFor(
      "the upstream call to be aborted",
      async () => (await upstreamCall())?.outcome === "aborted",
    );
  });
});

/**
 * A model server that was still loading when its worker started: `POST /v1/responses` answers 503
 * (which says nothing of the endpoint) until `serve()`, then refuses the probe's empty body as a
 * Responses server does (400) and answers a real call; chat completions answer at once, a stream
 * holds after its first chunk until `release()`. What it was asked is recorded.
 */
function startLoadingModelServer() {
  const chunk = (content: string, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "flip-model", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
  const state = { serves: false, asked: [] as string[] };
  const released = Promise.withResolvers<void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const body = (await req.json()) as { stream?: boolean; input?: unknown };
      state.asked.push(`${path}${body.input === undefined ? "" : " (with input)"}`);
      if (path === "/v1/responses") {
        if (!state.serves) return Response.json({ error: { message: "model loading" } }, { status: 503 });
        if (body.input === undefined)
          return Response.json({ error: { message: "input is required" } }, { status: 400 });
        return Response.json({
          id: "resp_native",
          object: "response",
          created_at: 1,
          status: "completed",
          model: "flip-model",
          output: [
            {
              type: "message",
              id: "msg_1",
              status: "completed",
              role: "assistant",
              content: [{ type: "output_text", text: "native", annotations: [] }],
            },
          ],
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        });
      }
      if (!body.stream)
        return Response.json({
          id: "c2",
          object: "chat.completion",
          created: 1,
          model: "flip-model",
          choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      const encoder = new TextEncoder();
      const writes = [
        chunk("first "),
        released.promise.then(() => `${chunk("last", "stop")}data: [DONE]\n\n`),
      ];
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = writes.shift();
          if (next === undefined) return controller.close();
          controller.enqueue(encoder.encode(await next));
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    state,
    release: () => released.resolve(),
    stop: () => server.stop(true),
  };
}

describe("workers: an upstream that serves the Responses API once it has loaded", () => {
  test("the worker announces it on its connection while a stream runs: no other call is refused, none finds the model gone", async () => {
    const upstream = startLoadingModelServer();
    fx.deferTest(() => upstream.stop());
    const token = await createKey(gw.url, adminKey, { name: "loading", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${upstream.url}/v1`,
      name: "loading",
      models: ["flip-model"],
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    type Listed = { name: string; responsesApi?: boolean };
    const listed = async () =>
      ((await listWorkers(gw.url, adminKey)) as Listed[]).find((w) => w.name === "loading");
    await waitFor("the worker to register", listed, START_BOUND_MS);
    const call = (body: object) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "flip-model", messages: [{ role: "user", content: "hi" }], ...body }),
      });
    const stream = await call({ stream: true });
    expect(stream.status).toBe(200);
    // The model server has loaded: the worker learns it at its next ask, the stream still open.
    upstream.state.serves = true;
    const statuses = new Map<number, number>();
    const another = async () => {
      const answer = await call({});
      await answer.arrayBuffer();
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    };
    // A steady trickle of other calls until it is announced, or a call is refused (a worker that
    // drained to register again), within the poll's deadline.
    await waitFor("the Responses API announced, or a call refused", async () => {
      await another();
      return statuses.size >= 2 || (await listed())?.responsesApi;
    });
    for (let i = 0; i < 20; i++) await another();
    // Every other call was answered: no 503 "draining", no 404 "model not found".
    expect([...statuses.keys()]).toEqual([200]);
    upstream.release();
    const text = await stream.text();
    expect(text).toContain('"content":"last"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    // Announced: a Responses call now goes to the model server as one.
    const native = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "flip-model", input: "hi" }),
    });
    expect(native.status).toBe(200);
    expect(((await native.json()) as { id: string }).id).toBe("resp_native");
    expect(upstream.state.asked.at(-1)).toBe("/v1/responses (with input)");
    expect(worker.stderr.all + worker.stdout.all).toContain("announced the Responses API to the gateway");
    expect(gw.stderr.all).not.toContain('"worker disconnected"');
  }, 60_000);
});
