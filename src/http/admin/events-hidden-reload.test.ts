import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../config/config-schema.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { handReloadedSource } from "../../testing/hand-reloaded-source.ts";
import { storedKey } from "../../testing/stored-key.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { startFakeUpstream } from "../../workers/testing/fake-upstream.ts";
import { runWorker } from "../../workers/worker/worker-client.ts";

// What a tenant's admin reads of a platform worker's models on its live event stream follows the
// config in force, through the real gateway and a real `mindgw worker` session: a reload that
// scopes a model to another tenant while the stream is open leaves that name out of the next
// worker.* event, as it leaves it out of `/admin/api/workers` (tenants/worker-seen.ts).

const dir = mkdtempSync(join(tmpdir(), "mindgw-events-hidden-reload-"));
const upstream = startFakeUpstream(["pool-model", "secret-b"]);
afterAll(() => {
  upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** team-b and team-c over one mock model; with `scoped`, secret-b is team-b's alone. */
const configOf = (scoped: boolean): Config =>
  parseConfig({
    workers: { enabled: true },
    providers: [{ name: "demo", type: "mock" }],
    models: [
      { name: "m", routes: [{ provider: "demo", model: "m" }] },
      ...(scoped ? [{ name: "secret-b", tenant: "team-b", routes: [{ provider: "demo", model: "m" }] }] : []),
    ],
    tenants: [{ name: "team-b" }, { name: "team-c" }],
  });

test("a reload that scopes a model to team-b while team-c's admin reads the event stream: the next worker.* event names it not to team-c", async () => {
  const storage = openSqliteStorage(join(dir, "gw.db"));
  const workerKey = await storedKey(storage.keys, { tenant: "default", role: "worker" });
  const cAdmin = await storedKey(storage.keys, { tenant: "team-c", role: "admin" });
  const { source, reload } = handReloadedSource(configOf(false));
  const gateway = await createGateway({ configSource: source, storage, logger: silentLogger });
  const { port } = gateway.listen("127.0.0.1", 0);
  const stop = new AbortController();
  let exit: Promise<number> | undefined;
  const response = await gateway.handle(
    new Request("http://localhost/admin/api/events", { headers: { authorization: `Bearer ${cAdmin}` } }),
  );
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const decoder = new TextDecoder();
  const drained = (async () => {
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += decoder.decode(read.value, { stream: true });
  })().catch(() => {});
  try {
    await waitForValue("the stream open", () => text.includes(": connected"));
    await reload(configOf(true));
    exit = runWorker({
      connect: `ws://127.0.0.1:${port}`,
      token: workerKey,
      upstream: `${upstream.url}/v1`,
      models: ["pool-model", "secret-b"],
      concurrency: 1,
      name: "pool",
      labels: {},
      responsesApi: false,
      log: () => {},
      handleSignals: false,
      stop: stop.signal,
      backoff: { baseMs: 20, capMs: 100 },
      drainTimeoutMs: 1_000,
    });
    const connected = await waitForValue(
      "the pool's arrival on team-c's stream",
      () => text.split("\n\n").find((event) => event.startsWith("event: worker.connected")),
      15_000,
    );
    expect(connected).toContain('"pool-model"');
    expect(connected).not.toContain("secret-b");
  } finally {
    stop.abort();
    await exit;
    await gateway.stop();
    await drained;
    await storage.close();
  }
});
