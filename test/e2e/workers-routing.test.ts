import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { createKey as mintKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  auditRow,
  createKey,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// The gateway binary, two `mindgw worker` processes, each beside its own fake upstream process.
// Worker a offers `fake-model` and `a-only` by flag; worker b discovers its models from its
// upstream's /v1/models (fake-model, bench-model, claude-fake). Both use a key outside every
// tenant: the platform's workers, serving the tenants team-a and team-b too.
let gw: GatewayProcess;
let adminKey: string;
const fakes: FakeProcess[] = [];

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, own }) => {
    fakes.push(fake, own(await spawnFakeUpstream()));
    return {
      models: [{ name: "alias-model", routes: [{ provider: "workers", model: "fake-model" }] }],
      // team-c may use only tenant-* models: its keys' workers are held to that too.
      tenants: [{ name: "team-a" }, { name: "team-b" }, { name: "team-c", models: ["tenant-*"] }],
    };
  },
});

beforeAll(async () => {
  gw = fx.gw;
  adminKey = gw.adminKey ?? "";
  const [fa, fb] = fakes as [FakeProcess, FakeProcess];
  await connectFleet(fx, [
    {
      upstream: `${fa.url}/v1`,
      name: "a",
      models: ["fake-model", "a-only"],
      concurrency: 256,
      labels: { zone: "lab" },
    },
    { upstream: `${fb.url}/v1`, name: "b" },
  ]);
}, 60_000);

const openai = () => new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const say = (content: string) => [{ role: "user" as const, content }];

async function collectStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return text;
}

describe("workers: routing through the tunnel", () => {
  test("worker models are routable, listed in /v1/models and /admin/api/workers", async () => {
    const listed = await listWorkers(gw.url, adminKey);
    expect(listed).toEqual([
      expect.objectContaining({
        name: "a",
        models: ["fake-model", "a-only"],
        capacity: 256,
        labels: { zone: "lab" },
      }),
      expect.objectContaining({ name: "b", models: ["fake-model", "bench-model", "claude-fake"] }),
    ]);
    const models = (await openai().models.list()).data.map((m) => m.id).sort();
    expect(models).toEqual(["a-only", "alias-model", "bench-model", "claude-fake", "fake-model"]);
  });

  test("openai SDK: a stream through the tunnel arrives whole, with usage, audited as worker:<name>", async () => {
    const stream = await openai().chat.completions.create(
      {
        model: "a-only",
        messages: say("hello through the tunnel"),
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { "x-request-id": "wk-route-stream" } },
    );
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("echo: hello through the tunnel");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const row = await auditRow(gw.url, adminKey, "wk-route-stream");
    expect(row).toEqual(
      expect.objectContaining({ route: "worker:a", status: 200, stream: true, errorClass: null }),
    );
  });

  test("openai SDK non-stream; a shared model is served by both workers in turn", async () => {
    const routes = new Set<string | null>();
    for (const n of [1, 2, 3, 4]) {
      const id = `wk-route-shared-${n}`;
      const reply = await openai().chat.completions.create(
        { model: "fake-model", messages: say(`shared ${n}`) },
        { headers: { "x-request-id": id } },
      );
      expect(reply.choices[0]?.message.content).toBe(`echo: shared ${n}`);
      routes.add((await auditRow(gw.url, adminKey, id)).route);
    }
    expect([...routes].sort()).toEqual(["worker:a", "worker:b"]);
  });

  test("a `provider: workers` route in config reaches a worker under another name", async () => {
    const reply = await openai().chat.completions.create(
      { model: "alias-model", messages: say("via alias") },
      { headers: { "x-request-id": "wk-route-alias" } },
    );
    expect(reply.choices[0]?.message.content).toBe("echo: via alias");
    const row = await auditRow(gw.url, adminKey, "wk-route-alias");
    expect(row.model).toBe("alias-model");
    expect(row.route).toMatch(/^worker:(a|b)$/);
  });

  test("Anthropic SDK: /v1/messages to a worker model is translated, streaming and not", async () => {
    const anthropic = new Anthropic({ apiKey: adminKey, baseURL: gw.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "a-only",
      max_tokens: 100,
      messages: [{ role: "user", content: "bonjour worker" }],
    });
    expect(message.type).toBe("message");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "text", text: "echo: bonjour worker" }),
    ]);
    const stream = anthropic.messages.stream(
      { model: "a-only", max_tokens: 100, messages: [{ role: "user", content: "stream worker" }] },
      { headers: { "x-request-id": "wk-route-anthropic" } },
    );
    const final = await stream.finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: "echo: stream worker" })]);
    expect(final.stop_reason).toBe("end_turn");
    const row = await auditRow(gw.url, adminKey, "wk-route-anthropic");
    expect(row).toEqual(expect.objectContaining({ route: "worker:a", status: 200, stream: true }));
    // A worker's upstream is a self-hosted server: the bound goes as `max_tokens`, the name every
    // one reads (Ollama passes over `max_completion_tokens` and would answer unbounded).
    const bodies = (await (fakes[0] as FakeProcess).requests())
      .map((r) => r.body as Record<string, unknown>)
      .filter((body) => /(bonjour|stream) worker/.test(JSON.stringify(body?.messages)));
    expect(bodies.map((body) => [body.max_tokens, body.max_completion_tokens])).toEqual([
      [100, undefined],
      [100, undefined],
    ]);
  });

  test("a worker model the config routes elsewhere is accepted but named: in a warning and in /admin/api/workers", async () => {
    // `alias-model` is the config's (sent to the workers as `fake-model`): a worker offering it
    // under that name never gets a request for it.
    const token = await createKey(gw.url, adminKey, { name: "shadowed", role: "worker", models: ["*"] });
    const shadowed = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${(fakes[0] as FakeProcess).url}/v1`,
      name: "shadowed",
      models: ["alias-model", "own-model"],
    });
    try {
      const listed = await waitForWorkers(gw.url, adminKey, ["a", "b", "shadowed"]);
      expect(listed.map((w) => [w.name, w.models, w.shadowedByConfig])).toEqual([
        ["a", ["fake-model", "a-only"], undefined],
        ["b", ["fake-model", "bench-model", "claude-fake"], undefined],
        ["shadowed", ["alias-model", "own-model"], ["alias-model"]],
      ]);
      expect(gw.stderr.all).toMatch(
        /warn worker offers models the config routes elsewhere: none of their requests reach it worker=shadowed models=alias-model\n/,
      );
    } finally {
      await shadowed.stop("SIGKILL");
    }
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
  });

  test("a worker registering a model its key may not serve is refused for that model", async () => {
    const narrowKey = await createKey(gw.url, adminKey, {
      name: "narrow",
      role: "worker",
      models: ["fake-*"],
    });
    const fake = fakes[0] as FakeProcess;
    const narrow = spawnWorker({
      gateway: gw.url,
      token: narrowKey,
      upstream: `${fake.url}/v1`,
      name: "narrow",
      models: ["fake-model", "secret-model"],
    });
    try {
      const listed = await waitForWorkers(gw.url, adminKey, ["a", "b", "narrow"]);
      expect(listed.find((w) => w.name === "narrow")?.models).toEqual(["fake-model"]);
      const models = (await openai().models.list()).data.map((m) => m.id);
      expect(models).not.toContain("secret-model");
      const refused = await openaiFailure(
        openai().chat.completions.create({ model: "secret-model", messages: say("x") }),
      );
      expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
      // The worker logs the refusal when `registered` arrives; its stderr may lag the listing.
      await waitFor("the refusal in the worker's log", () =>
        narrow.stderr.all.includes("gateway refused a model"),
      );
    } finally {
      await narrow.stop("SIGKILL");
    }
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
  });

  test("a worker in a tenant registers only the models its tenant permits, its key's allow-list aside; the rest are refused", async () => {
    const fake = fakes[0] as FakeProcess;
    // Keys of team-c (models: tenant-*) whose own lists permit anything: a worker key, and an
    // admin key, which may serve any model its tenant permits.
    const boxes = await Promise.all(
      (["worker", "admin"] as const).map(async (role) =>
        spawnWorker({
          gateway: gw.url,
          token: (await mintKey(gw, { name: `gpu-team-c-${role}`, tenant: "team-c", role, models: ["*"] }))
            .key,
          upstream: `${fake.url}/v1`,
          name: `box-c-${role}`,
          models: ["tenant-model", "c-other"],
        }),
      ),
    );
    try {
      const listed = await waitForWorkers(gw.url, adminKey, ["a", "b", "box-c-admin", "box-c-worker"]);
      for (const box of boxes) {
        expect(listed.find((w) => w.name === box.name)?.models).toEqual(["tenant-model"]);
        // The worker hears which model was refused and why, when `registered` arrives.
        await waitFor("the refusal in the worker's log", () =>
          box.stderr.all.match(
            /gateway refused a model model=c-other reason="not permitted for this key's tenant \(team-c\)"/,
          ),
        );
      }
      expect(gw.stderr.all).toMatch(
        /worker offered models its key may not serve worker=box-c-worker refused=c-other/,
      );
      // Its tenant's callers still reach it for what their tenant permits.
      const user = new OpenAI({
        apiKey: (await mintKey(gw, { name: "user-team-c", tenant: "team-c", role: "user", models: ["*"] }))
          .key,
        baseURL: `${gw.url}/v1`,
        maxRetries: 0,
      });
      const reply = await user.chat.completions.create({ model: "tenant-model", messages: say("c") });
      expect(reply.choices[0]?.message.content).toBe("echo: c");
    } finally {
      for (const box of boxes) await box.stop("SIGKILL");
    }
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
  });

  test("a tenant's worker gets only its tenant's prompts; the platform's workers serve every tenant", async () => {
    const [fa, fb] = fakes as [FakeProcess, FakeProcess];
    const keyIn = async (name: string, tenant: string, role: string) =>
      (await mintKey(gw, { name, tenant, role, models: ["*"] })).key;
    // Both register tenant-model, as the auditor's box-a (team-a's key) and box-b (team-b's) did.
    const boxA = spawnWorker({
      gateway: gw.url,
      token: await keyIn("gpu-team-a", "team-a", "worker"),
      upstream: `${fa.url}/v1`,
      name: "box-a",
      models: ["tenant-model", "a-secret"],
    });
    const boxB = spawnWorker({
      gateway: gw.url,
      token: await keyIn("gpu-team-b", "team-b", "worker"),
      upstream: `${fb.url}/v1`,
      name: "box-b",
      models: ["tenant-model"],
    });
    try {
      const listed = await waitForWorkers(gw.url, adminKey, ["a", "b", "box-a", "box-b"]);
      expect(listed.map((w) => [w.name, w.tenant])).toEqual([
        ["a", "default"],
        ["b", "default"],
        ["box-a", "team-a"],
        ["box-b", "team-b"],
      ]);
      const client = async (name: string, tenant: string) =>
        new OpenAI({ apiKey: await keyIn(name, tenant, "user"), baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const [userA, userB] = [await client("user-team-a", "team-a"), await client("user-team-b", "team-b")];
      const routesOf = async (user: OpenAI, tag: string, model: string) => {
        const routes: (string | null)[] = [];
        for (const n of [1, 2, 3, 4]) {
          const id = `wk-tenant-${tag}-${n}`;
          await user.chat.completions.create(
            { model, messages: say(`${tag} ${n}`) },
            { headers: { "x-request-id": id } },
          );
          routes.push((await auditRow(gw.url, adminKey, id)).route);
        }
        return routes;
      };
      expect(await routesOf(userA, "a", "tenant-model")).toEqual(Array(4).fill("worker:box-a"));
      expect(await routesOf(userB, "b", "tenant-model")).toEqual(Array(4).fill("worker:box-b"));
      expect(new Set(await routesOf(userB, "shared", "fake-model"))).toEqual(
        new Set(["worker:a", "worker:b"]),
      );
      // Another tenant's worker models do not exist for team-b, nor for a caller outside every tenant.
      expect((await userA.models.list()).data.map((m) => m.id)).toContain("a-secret");
      for (const other of [userB, openai()]) {
        expect((await other.models.list()).data.map((m) => m.id)).not.toContain("a-secret");
        const refused = await openaiFailure(
          other.chat.completions.create({ model: "a-secret", messages: say("x") }),
        );
        expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
      }
    } finally {
      await boxA.stop("SIGKILL");
      await boxB.stop("SIGKILL");
    }
    await waitForWorkers(gw.url, adminKey, ["a", "b"]);
  });

  test("200 concurrent streams over one worker connection all complete with their own content", async () => {
    const before = (await listWorkers(gw.url, adminKey)).find((w) => w.name === "a");
    const client = openai();
    const n = 200;
    // The fake holds every first token for 4 s (headers go at once), so all 200 streams are
    // open on the one connection together; the registry's in-flight count shows it.
    const pending = Promise.all(
      Array.from({ length: n }, async (_, i) =>
        collectStream(
          await client.chat.completions.create({
            model: "a-only",
            messages: say(`stream number ${i} [[fake:ttfb=4000,chunks=4,chunk-delay=20]]`),
            stream: true,
          }),
        ),
      ),
    );
    const peak = await waitFor("200 streams in flight on worker a", async () => {
      const a = (await listWorkers(gw.url, adminKey)).find((w) => w.name === "a");
      return a && a.inFlight >= n ? a.inFlight : undefined;
    });
    expect(peak).toBe(n);
    const texts = await pending;
    texts.forEach((text, i) => {
      expect(text.replace(/ more\d+/g, "")).toBe(`echo: stream number ${i}`);
    });
    const after = (await listWorkers(gw.url, adminKey)).find((w) => w.name === "a");
    expect(after?.id).toBe(before?.id ?? "missing");
    expect(after?.inFlight).toBe(0);
  }, 60_000);
});
