import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../../testing/recording-gateway.ts";
import { openRawWorker } from "../../workers/testing/raw-worker.ts";

// A model only connected workers serve is labelled `workers` (labels.ts `modelLabeller`). The label
// is read as the call ends: a call whose worker, the model's last, was lost under it ended when no
// worker served the model any longer, and was counted as `other`, a model nothing routes, where its
// worker_lost failures belong with the workers' calls.

const dir = mkdtempSync(join(tmpdir(), "mindgw-worker-lost-model-"));
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let port = 0;

beforeAll(async () => {
  ({ gateway, adminKey, finished } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  ));
  ({ port } = gateway.listen("127.0.0.1", 0));
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: object) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

/** `mindgw_requests_total`'s chat series served by workers, by model and status class. */
const workerCalls = (text: string) =>
  Object.fromEntries(
    [
      ...text.matchAll(
        /^mindgw_requests_total\{front_door="chat",model="([^"]+)",provider="workers",status_class="([^"]+)"\} (\S+)$/gm,
      ),
    ].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]),
  );

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
  expect((await recordOf(finished, failed)).errorClass).toBe("worker_lost");
  expect(workerCalls(await (await call("GET", "/metrics")).text())).toEqual({ "workers 5xx": 1 });
});
