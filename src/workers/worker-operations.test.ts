import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { runWorker } from "./worker/worker-client.ts";

// Through the whole gateway (front door, router, audit) and a real worker over its WebSocket, to
// the shared fake OpenAI upstream: what a worker's model server answers reaches the client as a
// direct route's would, for every operation a worker serves and for its refusals.

const upstream = await startFakeUpstream({ models: ["local-llm"] });
let adminKey = "";
const gateway = await createGateway({
  config: parseConfig({
    storage: { path: ":memory:" },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  }),
  logger: silentLogger,
  onBootstrapKey: (key) => (adminKey = key),
});
const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
const stop = new AbortController();
let exit: Promise<number> | undefined;

const post = (path: string, body: object, token = adminKey) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  const created = await post("/admin/api/keys", { name: "gpu-box", role: "worker" });
  const { key } = (await created.json()) as { key: string };
  exit = runWorker({
    connect: base,
    token: key,
    upstream: `${upstream.url}/v1`,
    concurrency: 4,
    name: "gpu-1",
    labels: {},
    responsesApi: false,
    log: () => {},
    handleSignals: false,
    stop: stop.signal,
  });
  await waitForValue("the worker's model listed", async () => {
    const listed = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
    const { data } = (await listed.json()) as { data: { id: string }[] };
    return data.some((model) => model.id === "local-llm") || undefined;
  });
});
afterAll(async () => {
  stop.abort();
  await exit;
  await gateway.stop();
  await upstream.stop();
});

describe("a worker's model server, through the gateway", () => {
  test("embeddings and legacy completions (stream and not) are answered as the upstream answered them", async () => {
    const embedded = await post("/v1/embeddings", { model: "local-llm", input: ["a", "b"] });
    expect(embedded.status).toBe(200);
    const embeddings = (await embedded.json()) as { object: string; data: { embedding: number[] }[] };
    expect([embeddings.object, embeddings.data.length]).toEqual(["list", 2]);
    expect(embeddings.data[0]?.embedding.length).toBeGreaterThan(0);

    const completed = await post("/v1/completions", { model: "local-llm", prompt: "say hi" });
    expect(completed.status).toBe(200);
    const completion = (await completed.json()) as { object: string; choices: { text: string }[] };
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);

    const streamed = await post("/v1/completions", { model: "local-llm", prompt: "say hi", stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await streamed.text();
    expect(text).toContain('"object":"text_completion"');
    expect(text.trimEnd()).toEndWith("data: [DONE]");
    expect(upstream.requests.map((r) => r.path)).toEqual([
      "/v1/models",
      "/v1/embeddings",
      "/v1/completions",
      "/v1/completions",
    ]);
  });

  test("its refusals keep their status, OpenAI error body and Retry-After: a 400, a 429", async () => {
    upstream.enqueue({ status: 400, message: "prompt is too long" }, { status: 429, retryAfter: 7 });
    const refused = await post("/v1/completions", { model: "local-llm", prompt: "x" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string; type: string } }).error).toEqual(
      expect.objectContaining({ message: "prompt is too long", type: "invalid_request_error" }),
    );
    const limited = await post("/v1/embeddings", { model: "local-llm", input: "x" });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "7"]);
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe("requests");
  });
});
