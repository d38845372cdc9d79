import { beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// A shadow copy to workers goes off the client's path: it takes a worker's slot only when the
// worker keeps one free beside it, never its last, so no client is refused for a copy's sake.
// Worker `one` has a single slot (every copy to it is shed); worker `roomy` has room to spare.

let gw: GatewayProcess;
let admin = "";
let upstream: FakeProcess;

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => {
    upstream = fake;
    return {
      models: [
        {
          name: "wprim",
          routes: [{ provider: "workers", model: "wcap" }],
          shadow: { provider: "workers", model: "wcap-slow", sample: 1 },
        },
        {
          name: "wroom",
          routes: [{ provider: "workers", model: "wroom-a" }],
          shadow: { provider: "workers", model: "wroom-b", sample: 1 },
        },
      ],
      routing: { retries: 0 },
      audit: { bodies: true },
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  admin = gw.adminKey ?? "";
  await connectFleet(fx, [
    { upstream: `${upstream.url}/v1`, name: "one", models: ["wcap", "wcap-slow"], concurrency: 1 },
    { upstream: `${upstream.url}/v1`, name: "roomy", models: ["wroom-a", "wroom-b"], concurrency: 4 },
  ]);
}, 60_000);

const client = () => new OpenAI({ apiKey: admin, baseURL: `${gw.url}/v1`, maxRetries: 0 });

async function shadowCounts() {
  const res = await fetch(`${gw.url}/metrics`, { headers: bearer(admin) });
  const samples = parsePrometheus(await res.text());
  return {
    shed: sampleValue(samples, "mindgw_shadow_shed_total", {}) ?? -1,
    ended: (outcome: string) =>
      sampleValue(samples, "mindgw_shadow_copies_total", { provider: "workers", outcome }) ?? 0,
  };
}

async function pairs(model: string) {
  const res = await fetch(`${gw.url}/admin/api/shadow?model=${model}`, { headers: bearer(admin) });
  return ((await res.json()) as ShadowPage).records;
}

test("a copy never takes a worker's last free slot: the clients after it are answered, the copy shed and counted", async () => {
  const before = await shadowCounts();
  // Slow answers: a copy that took the only slot would hold it past the next client's request.
  const first = await client().chat.completions.create({
    model: "wprim",
    messages: [{ role: "user", content: "first [[fake:delay=1500]]" }],
  });
  expect(first.choices[0]?.message.content).toStartWith("echo: first");
  for (const content of ["second", "third"]) {
    const next = await client().chat.completions.create({
      model: "wprim",
      messages: [{ role: "user", content }],
    });
    expect(next.choices[0]?.message.content).toBe(`echo: ${content}`);
  }
  const after = await waitFor("the three copies shed", async () => {
    const now = await shadowCounts();
    return now.shed === before.shed + 3 ? now : undefined;
  });
  // Shed copies are no copies that ended and no pairs; none reached the worker's upstream.
  expect(after.ended("ok") + after.ended("unavailable")).toBe(
    before.ended("ok") + before.ended("unavailable"),
  );
  expect(await pairs("wprim")).toHaveLength(0);
  const sent = (await upstream.requests()).filter(
    (r) => (r.body as { model?: string }).model === "wcap-slow",
  );
  expect(sent).toHaveLength(0);
});

test("a worker with a slot to spare beside the copy's takes it: the pair is recorded, naming the worker each side went to", async () => {
  const { response } = await client()
    .chat.completions.create({ model: "wroom", messages: [{ role: "user", content: "room" }] })
    .withResponse();
  const requestId = response.headers.get("x-request-id") ?? "";
  const pair = await waitFor("the wroom pair", async () =>
    (await pairs("wroom")).find((r) => r.requestId === requestId),
  );
  // The copy's route as the API says it: `worker:<name>`, as the primary's names the worker that served it.
  expect(pair.shadow).toMatchObject({ route: "worker:roomy", status: 200, answer: "echo: room" });
  expect(pair.primary.route).toBe("worker:roomy");
});
