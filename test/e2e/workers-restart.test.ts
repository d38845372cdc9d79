import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";

// A gateway restart (SIGTERM, then a new process on the same port and database): the workers
// notice the lost connection, reconnect with backoff and register again, all by themselves.
const fakes: FakeProcess[] = [];
const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, own }) => {
    fakes.push(fake, own(await spawnFakeUpstream()));
    return {};
  },
});

async function ask(gw: GatewayProcess, key: string, text: string): Promise<string | null | undefined> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const reply = await client.chat.completions.create({
    model: "fake-model",
    messages: [{ role: "user", content: text }],
  });
  return reply.choices[0]?.message.content;
}

describe("workers: gateway restart", () => {
  test("after SIGTERM and a restart on the same port, both workers come back and serve", async () => {
    const first = fx.gw;
    const adminKey = first.adminKey ?? "";
    const workerKey = await createKey(first.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
    const workers: WorkerProcess[] = fakes.map((fake, i) =>
      spawnWorker({
        gateway: first.url,
        token: workerKey,
        upstream: `${fake.url}/v1`,
        name: `w${i}`,
        models: ["fake-model"],
      }),
    );
    for (const worker of workers) fx.defer(() => worker.stop("SIGKILL"));
    await waitForWorkers(first.url, adminKey, ["w0", "w1"]);
    expect(await ask(first, adminKey, "before restart")).toBe("echo: before restart");

    expect(await first.stop("SIGTERM")).toBe(0);
    // Same directory (database, keys) and port: the fixture's restart.
    const second = await fx.restart({ port: first.port });
    expect(second.url).toBe(first.url);
    // The keys live in the database, so the same worker key is accepted again.
    await waitForWorkers(second.url, adminKey, ["w0", "w1"], 30_000);
    expect(await ask(second, adminKey, "after restart")).toBe("echo: after restart");
    for (const worker of workers) {
      expect(worker.proc.exitCode).toBeNull();
      expect(worker.stderr.all).toContain("reconnecting");
    }
    for (const worker of workers) expect(await worker.stop("SIGTERM")).toBe(0);
  }, 60_000);
});
