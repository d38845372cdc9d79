import { afterAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { waitForValue } from "../testing/wait-for.ts";
import { workerGateway } from "../testing/worker-gateway.ts";
import { startFakeUpstream } from "../workers/testing/fake-upstream.ts";
import { runWorker } from "../workers/worker/worker-client.ts";

// team-b's own entry `b-llama` routes to `workers/llama-small`. A worker is routable under the name
// it registers (SPEC), and the platform's worker (a key outside every tenant) serves every tenant:
// so `llama-small` stays every tenant's, team-b's entry scoping its own name alone. A tenant's
// entry does not take a platform model from everyone else (as another tenant's glob would take a
// name: SECURITY.md). To keep the model to team-b, team-b's own worker serves it: then it exists
// for no other tenant, while team-b's entry routes to it.

const upstream = startFakeUpstream(["llama-small"]);
afterAll(() => upstream.stop());

const gw = workerGateway({
  models: [{ name: "b-llama", tenant: "team-b", routes: [{ provider: "workers", model: "llama-small" }] }],
  tenants: [{ name: "team-b" }, { name: "team-c" }],
});

const created = async (input: Record<string, unknown>) =>
  ((await (await gw.call("POST", "/admin/api/keys", input)).json()) as { key: string }).key;

/** `mindgw worker`'s session serving llama-small with `token`, stopped by the returned function. */
function worker(name: string, token: string): () => Promise<number> {
  const stop = new AbortController();
  const exit = runWorker({
    connect: `ws://127.0.0.1:${gw.port}`,
    token,
    upstream: `${upstream.url}/v1`,
    models: ["llama-small"],
    concurrency: 4,
    name,
    labels: {},
    responsesApi: false,
    log: () => {},
    handleSignals: false,
    stop: stop.signal,
    backoff: { baseMs: 20, capMs: 100 },
    drainTimeoutMs: 1_000,
  });
  return () => {
    stop.abort();
    return exit;
  };
}

/** The connected workers' names, as an admin outside every tenant lists them. */
async function connected(): Promise<string[]> {
  const listed = (await (await gw.call("GET", "/admin/api/workers")).json()) as {
    workers: { name: string }[];
  };
  return listed.workers.map((each) => each.name);
}

/** A chat through the official SDK: its status. */
async function status(key: string, model: string): Promise<number> {
  const openai = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${gw.port}/v1`, maxRetries: 0 });
  try {
    await openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
    return 200;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error.status ?? 0;
    throw error;
  }
}

const listed = async (key: string) =>
  (await new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${gw.port}/v1` }).models.list()).data
    .map((model) => model.id)
    .sort();

test("a tenant's entry routed to a model the platform's worker serves scopes its own name, not the worker's model; the tenant's own worker keeps the model to it", async () => {
  const [b, c] = await Promise.all([
    created({ name: "b", tenant: "team-b" }),
    created({ name: "c", tenant: "team-c" }),
  ]);
  const stopPlatform = worker("platform-gpu", gw.workerKey);
  await waitForListed(["platform-gpu"]);
  expect([await status(b, "b-llama"), await status(b, "llama-small")]).toEqual([200, 200]);
  // team-c reaches the platform's model by its own name, never team-b's entry.
  expect([await status(c, "llama-small"), await status(c, "b-llama")]).toEqual([200, 404]);
  expect(await listed(c)).toEqual(["llama-small"]);
  await stopPlatform();
  await waitForListed([]);
  const stopOwn = worker(
    "team-b-gpu",
    await created({ name: "gpu-b", role: "worker", tenant: "team-b", models: ["*"] }),
  );
  try {
    await waitForListed(["team-b-gpu"]);
    expect([await status(b, "b-llama"), await status(b, "llama-small")]).toEqual([200, 200]);
    expect([await status(c, "llama-small"), await status(c, "b-llama")]).toEqual([404, 404]);
    expect(await listed(c)).toEqual([]);
  } finally {
    await stopOwn();
  }
});

/** Waits until exactly these workers are connected. */
const waitForListed = (names: readonly string[]) =>
  waitForValue(
    `connected workers ${JSON.stringify(names)}`,
    async () => JSON.stringify((await connected()).sort()) === JSON.stringify([...names].sort()),
    30_000,
    20,
  );
