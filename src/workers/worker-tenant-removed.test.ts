import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../auth/api-key.ts";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import type { Role } from "../storage/key-record.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { handReloadedSource } from "../testing/hand-reloaded-source.ts";
import { numberedKey } from "../testing/key-record.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitFor } from "../testing/wait-for.ts";
import { startFakeUpstream } from "./testing/fake-upstream.ts";
import { runWorker } from "./worker/worker-client.ts";

// A connected worker is held to the config in force, through the real gateway and a real
// `mindgw worker` session: a reload that removes its key's tenant from `tenants:` closes its
// connection at once, as a revoke of its key does (`rejected`, 1008), in words; the worker stops
// with exit 2 rather than reconnect with a key that is refused now. Another tenant's worker serves on.
// A reload that changes its tenant's `models` narrows or widens what it is routed, as a change of
// its key's models does, on the same connection.

const dir = mkdtempSync(join(tmpdir(), "mindgw-worker-tenant-removed-"));
const upstream = startFakeUpstream(["llama-small"]);
afterAll(() => {
  upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `tenants:` by name, each with its `models` when given. */
const configOf = (tenants: Record<string, readonly string[] | undefined>): Config =>
  parseConfig({
    workers: { enabled: true },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    tenants: Object.entries(tenants).map(([name, models]) => ({ name, ...(models ? { models } : {}) })),
  });

type Said = { message: string; fields?: Record<string, unknown> }[];

/**
 * The gateway on `initial`, a worker key in team-a and team-b each, and `worker(name, models)`
 * running `mindgw worker`'s session with that tenant's key, its log lines kept in `said[name]`.
 */
async function tenantGateway(initial: Config) {
  const storage = openSqliteStorage(join(dir, `gw-${crypto.randomUUID()}.db`));
  const stored = async (tenant: string, role: Role) => {
    const { plain, ...secret } = generateApiKey();
    await storage.keys.create(
      numberedKey({ ...secret, tenant, role, models: ["*"], rpm: null, tpm: null, budgetUsd: null }),
    );
    return plain;
  };
  const keys = { a: await stored("team-a", "worker"), b: await stored("team-b", "worker") };
  const platform = await stored("default", "admin");
  const { logger, lines } = recordingLogger();
  const { source, reload } = handReloadedSource(initial);
  const gateway = await createGateway({
    configSource: source,
    storage,
    logger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  const stops: AbortController[] = [];
  const exits: Promise<number>[] = [];
  const said: Record<"a" | "b", Said> = { a: [], b: [] };
  return {
    lines,
    said,
    reload,
    worker: (name: "a" | "b", models: string[] = ["llama-small"]) => {
      const stop = new AbortController();
      stops.push(stop);
      const exit = runWorker({
        connect: `ws://127.0.0.1:${port}`,
        token: keys[name],
        upstream: `${upstream.url}/v1`,
        models,
        concurrency: 4,
        name: `gpu-${name}`,
        labels: {},
        responsesApi: false,
        log: (_level, message, fields) => said[name].push({ message, ...(fields ? { fields } : {}) }),
        handleSignals: false,
        stop: stop.signal,
        backoff: { baseMs: 20, capMs: 100 },
        drainTimeoutMs: 1_000,
      });
      exits.push(exit);
      return exit;
    },
    registered: (name: "a" | "b") =>
      said[name].filter((line) => line.message === "registered with the gateway").length,
    /** The connected workers' names and models, as `/admin/api/workers` lists them. */
    listed: async () => {
      const listed = await fetch(`http://127.0.0.1:${port}/admin/api/workers`, {
        headers: { authorization: `Bearer ${platform}` },
      });
      const { workers } = (await listed.json()) as { workers: { name: string; models: string[] }[] };
      return workers.map((each) => [each.name, each.models] as const);
    },
    stop: async () => {
      for (const stop of stops) stop.abort();
      await Promise.all(exits);
      await gateway.stop();
    },
  };
}

test("a reload that removes a worker key's tenant closes its connection at once, and the worker exits 2", async () => {
  const gw = await tenantGateway(configOf({ "team-a": undefined, "team-b": undefined }));
  try {
    const exitOfA = gw.worker("a");
    gw.worker("b");
    await waitFor("both workers registered", () => gw.registered("a") > 0 && gw.registered("b") > 0);
    await gw.reload(configOf({ "team-b": undefined }));
    // Closed at the reload, not at a reconnect: the worker is told its key is refused, and stops.
    expect(await exitOfA).toBe(2);
    expect(gw.said.a.find((line) => line.message === "the gateway refused this worker")?.fields).toEqual({
      reason: "key_tenant_removed",
      message: "the worker's key's tenant was removed",
    });
    expect(gw.registered("a")).toBe(1);
    const departed = gw.lines.find((line) => line.message.startsWith("worker disconnected"));
    expect([departed?.level, departed?.message, departed?.fields?.worker]).toEqual([
      "warn",
      "worker disconnected: its key's tenant was removed",
      "gpu-a",
    ]);
    // The other tenant's worker serves on, on the same connection.
    expect(gw.registered("b")).toBe(1);
    expect((await gw.listed()).map(([name]) => name)).toEqual(["gpu-b"]);
  } finally {
    await gw.stop();
  }
});

test("a reload that changes a worker key's tenant's models narrows and widens what the worker is routed, on its connection", async () => {
  const gw = await tenantGateway(configOf({ "team-a": ["llama-*", "other-*"], "team-b": undefined }));
  try {
    gw.worker("a", ["llama-small", "other-model"]);
    await waitFor("the worker registered", () => gw.registered("a") > 0);
    expect(await gw.listed()).toEqual([["gpu-a", ["llama-small", "other-model"]]]);
    await gw.reload(configOf({ "team-a": ["llama-*"], "team-b": undefined }));
    expect(await gw.listed()).toEqual([["gpu-a", ["llama-small"]]]);
    const narrowed = gw.lines.find((line) => line.message.startsWith("worker's key no longer permits"));
    expect(narrowed?.fields).toEqual({ worker: "gpu-a", models: ["other-model"] });
    // A reload that leaves the tenant's models as they are changes nothing.
    await gw.reload(configOf({ "team-a": ["llama-*"], "team-b": ["x-*"] }));
    expect(await gw.listed()).toEqual([["gpu-a", ["llama-small"]]]);
    await gw.reload(configOf({ "team-a": undefined, "team-b": undefined }));
    expect(await gw.listed()).toEqual([["gpu-a", ["llama-small", "other-model"]]]);
    expect(gw.registered("a")).toBe(1);
  } finally {
    await gw.stop();
  }
});
