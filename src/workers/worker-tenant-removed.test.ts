import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../auth/api-key.ts";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import type { ConfigWatchHandlers } from "../config/watch-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import type { Role } from "../storage/key-record.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { numberedKey } from "../testing/key-record.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitFor } from "../testing/wait-for.ts";
import { startFakeUpstream } from "./testing/fake-upstream.ts";
import { runWorker } from "./worker/worker-client.ts";

// A connected worker is held to the config in force, through the real gateway and a real
// `mindgw worker` session: a reload that removes its key's tenant from `tenants:` closes its
// connection at once, as a revoke of its key does (`rejected`, 1008), in words; the worker stops
// with exit 2 rather than reconnect with a key that is refused now. Another tenant's worker serves on.

const dir = mkdtempSync(join(tmpdir(), "mindgw-worker-tenant-removed-"));
const upstream = startFakeUpstream(["llama-small"]);
afterAll(() => {
  upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

const configOf = (tenants: readonly string[]): Config =>
  parseConfig({
    workers: { enabled: true },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    tenants: tenants.map((name) => ({ name })),
  });

test("a reload that removes a worker key's tenant closes its connection at once, and the worker exits 2", async () => {
  const storage = openSqliteStorage(join(dir, "gw.db"));
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
  let handlers: ConfigWatchHandlers | undefined;
  const gateway = await createGateway({
    configSource: {
      initial: configOf(["team-a", "team-b"]),
      path: null,
      watch: (given) => {
        handlers = given;
        return () => {};
      },
    },
    storage,
    logger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  const stops: AbortController[] = [];
  const exits: Promise<number>[] = [];
  try {
    const said: Record<"a" | "b", { message: string; fields?: Record<string, unknown> }[]> = { a: [], b: [] };
    const worker = (name: "a" | "b") => {
      const stop = new AbortController();
      stops.push(stop);
      const exit = runWorker({
        connect: `ws://127.0.0.1:${port}`,
        token: keys[name],
        upstream: `${upstream.url}/v1`,
        models: ["llama-small"],
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
    };
    const exitOfA = worker("a");
    worker("b");
    await waitFor("both workers registered", () =>
      (["a", "b"] as const).every((name) =>
        said[name].some((line) => line.message === "registered with the gateway"),
      ),
    );
    const source = handlers;
    if (!source) throw new Error("the gateway did not watch its config source");
    await source.onValid(configOf(["team-b"]));
    // Closed at the reload, not at a reconnect: the worker is told its key is refused, and stops.
    expect(await exitOfA).toBe(2);
    expect(said.a.find((line) => line.message === "the gateway refused this worker")?.fields).toEqual({
      reason: "key_tenant_removed",
      message: "the worker's key's tenant was removed",
    });
    expect(said.a.filter((line) => line.message === "registered with the gateway")).toHaveLength(1);
    const departed = lines.find((line) => line.message.startsWith("worker disconnected"));
    expect([departed?.level, departed?.message, departed?.fields?.worker]).toEqual([
      "warn",
      "worker disconnected: its key's tenant was removed",
      "gpu-a",
    ]);
    // The other tenant's worker serves on, on the same connection.
    expect(said.b.filter((line) => line.message === "registered with the gateway")).toHaveLength(1);
    const listed = await fetch(`http://127.0.0.1:${port}/admin/api/workers`, {
      headers: { authorization: `Bearer ${platform}` },
    });
    const { workers } = (await listed.json()) as { workers: { name: string }[] };
    expect(workers.map((each) => each.name)).toEqual(["gpu-b"]);
  } finally {
    for (const stop of stops) stop.abort();
    await Promise.all(exits);
    await gateway.stop();
  }
});
