import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  auditRow,
  createKey,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// Two workers serve `m`; the model server behind `hung` takes every call and answers none (a vLLM
// wedged on its GPU), the one behind `fine` answers. A short first-byte bound, no retries and a
// breaker that opens at the second failure: a hung server judged as the route's would refuse `m`
// on both workers after two calls.
let gw: GatewayProcess;
let adminKey: string;
let hungServer: FakeProcess;
const workers: WorkerProcess[] = [];

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, { own }) => {
    hungServer = own(await spawnFakeUpstream());
    return {
      routing: {
        retries: 0,
        timeouts: { first_byte: "1500ms" },
        circuit_breaker: { failures: 2, cooldown: "60s" },
      },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  adminKey = gw.adminKey ?? "";
  fx.defer(async () => {
    for (const w of workers) await w.stop("SIGKILL");
  });
  // Every call the hung server is given waits for its client to leave.
  const queued = await fetch(`${hungServer.url}/_fake/next`, {
    method: "POST",
    body: JSON.stringify(Array.from({ length: 20 }, () => ({ hang: true }))),
  });
  expect(queued.status).toBe(200);
  const token = await createKey(gw.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
  for (const [name, server] of [
    ["hung", hungServer],
    ["fine", fx.fake],
  ] as const)
    workers.push(spawnWorker({ gateway: gw.url, token, upstream: `${server.url}/v1`, name, models: ["m"] }));
  await waitForWorkers(gw.url, adminKey, ["fine", "hung"]);
}, 60_000);

describe("a worker whose model server hangs (answers nothing within first_byte)", () => {
  test("is that worker's fault: its calls go on to the other worker at once, it is taken out after 3, the model's breaker stays shut", async () => {
    const openai = new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const hungCalls = async () =>
      (await hungServer.requests()).filter((r) => r.path === "/v1/chat/completions");
    // Calls one at a time until the hung worker has been given three (bounded: a pick that never
    // chose it would fail the count below).
    for (let n = 0; n < 12 && (await hungCalls()).length < 3; n++) {
      const requestId = `hung-${n}`;
      const answer = await openai.chat.completions.create(
        { model: "m", messages: [{ role: "user", content: `call ${n}` }] },
        { headers: { "x-request-id": requestId } },
      );
      expect(answer.choices[0]?.message.content).toBeTruthy();
      const row = await auditRow(gw.url, adminKey, requestId);
      expect(row).toMatchObject({ status: 200, route: "worker:fine", errorClass: null });
    }
    expect((await hungCalls()).length).toBe(3);
    // The worker was told to stop each call: its model server saw each connection go.
    await waitFor("the hung server to see its calls cancelled", async () =>
      (await hungCalls()).every((r) => r.outcome === "aborted"),
    );
    const hung = (await listWorkers(gw.url, adminKey)).find((w) => w.name === "hung");
    expect(hung?.ejectedUntil).toBeGreaterThan(Date.now());
    expect(hung?.inFlight).toBe(0);
    expect(gw.stderr.all).toContain("worker taken out of rotation");
    // Taken out, it is passed over: the next calls go to `fine` without waiting a bound.
    const after = await openai.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "next" }],
    });
    expect(after.choices[0]?.message.content).toBeTruthy();
    expect((await hungCalls()).length).toBe(3);
  }, 90_000);
});
