import { beforeAll, expect, test } from "bun:test";
import { seriesBy } from "../../testing/metric-series.ts";
import { recordOf } from "../../testing/recording-gateway.ts";
import { storedGateway } from "../../testing/stored-gateway.ts";
import { openRawWorker } from "../../workers/testing/raw-worker.ts";

// A model only connected workers serve is labelled `workers` (labels.ts `modelLabeller`). The label
// is read as the call ends: a call whose worker, the model's last, was lost under it ended when no
// worker served the model any longer, and was counted as `other`, a model nothing routes, where its
// worker_lost failures belong with the workers' calls.

const gw = storedGateway({
  providers: [{ name: "demo", type: "mock" }],
  models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
});
let port = 0;
beforeAll(() => {
  ({ port } = gw.gateway.listen("127.0.0.1", 0));
});

const call = (method: string, path: string, body?: object) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

/** `mindgw_requests_total`'s chat series served by workers, by model and status class. */
const workerCalls = (text: string) =>
  seriesBy(text, "mindgw_requests_total", ["model", "status_class"], {
    front_door: "chat",
    provider: "workers",
  });

test("a call whose worker, its model's last, is lost under it counts under model `workers`, not `other`", async () => {
  const created = await call("POST", "/admin/api/keys", { name: "w", role: "worker", models: ["*"] });
  const { key } = (await created.json()) as { key: string };
  const worker = await openRawWorker(port, key);
  expect((await worker.register(["local-llama"], "w1")).type).toBe("registered");
  const answered = call("POST", "/v1/chat/completions", {
    model: "local-llama",
    messages: [{ role: "user", content: "hi" }],
  });
  await worker.next("request");
  worker.socket.close();
  await worker.waitClosed();
  const failed = await answered;
  await failed.text();
  expect((await recordOf(gw.finished, failed)).errorClass).toBe("worker_lost");
  expect(workerCalls(await (await call("GET", "/metrics")).text())).toEqual({ "workers 5xx": 1 });
});
