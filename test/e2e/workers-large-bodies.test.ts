import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import {
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  type WorkerProcess,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// A gateway whose server.max_body is past the 64 MiB Bun buffers for a socket by default: one
// request body that large, sent to a worker that reads it slowly (a slow link; here a worker
// stopped for a moment), must not close the worker's connection when the next small frame (a
// cancel, a credit, a heartbeat) is written behind it.
const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async () => ({ server: { max_body: "100MB" }, routing: { retries: 0 } }),
});
let adminKey = "";
let worker: WorkerProcess;

beforeAll(async () => {
  adminKey = fx.gw.adminKey ?? "";
  ({
    workers: [worker],
  } = await connectFleet(fx, [{ name: "w", upstream: `${fx.fake.url}/v1`, models: ["fake-model"] }]));
}, 60_000);

describe("workers: a request body past 64 MiB (server.max_body: 100MB)", () => {
  test("reaches a worker that reads it slowly; a frame written behind it costs no stream its connection", async () => {
    const [registered] = await listWorkers(fx.gw.url, adminKey);
    const cancelled = new AbortController();
    const stream = await new OpenAI({
      apiKey: adminKey,
      baseURL: `${fx.gw.url}/v1`,
      maxRetries: 0,
    }).chat.completions.create(
      {
        model: "fake-model",
        stream: true,
        messages: [{ role: "user", content: "a long answer [[fake:chunks=100,chunk-delay=100]]" }],
      },
      { signal: cancelled.signal },
    );
    await stream[Symbol.asyncIterator]().next();
    worker.proc.kill("SIGSTOP");
    // 80 MB that the model server ignores (an unknown field), so that its answer stays small.
    const big = fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "fake-model",
        messages: [{ role: "user", content: "hi" }],
        padding: "p".repeat(80_000_000),
      }),
    }).then(async (res) => ({ status: res.status, text: await res.text() }));
    await waitFor(
      "the large request on the worker's connection",
      async () => (await listWorkers(fx.gw.url, adminKey))[0]?.inFlight === 2,
      30_000,
    );
    // The stream's client leaves: its cancel frame is written behind the large request. The
    // gateway counts its slot out as it writes it; a connection Bun closed lists no worker.
    cancelled.abort();
    const listed = await waitFor(
      "the cancel written",
      async () => {
        const workers = await listWorkers(fx.gw.url, adminKey);
        return (workers.length === 0 || workers[0]?.inFlight === 1) && workers;
      },
      30_000,
    );
    worker.proc.kill("SIGCONT");
    expect(listed.map((w) => w.id)).toEqual([registered?.id ?? "registered"]);
    const answer = await big;
    expect(answer.status).toBe(200);
    expect(answer.text).toContain("echo: hi");
    expect((await listWorkers(fx.gw.url, adminKey)).map((w) => w.id)).toEqual([
      registered?.id ?? "registered",
    ]);
    expect(fx.gw.stderr.all).not.toContain("worker lost");
  }, 120_000);
});
