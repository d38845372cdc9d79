import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A webhook still failing when the gateway stops keeps retrying only within the stop's time: at
// its end what is left is dropped, logged and counted as `closed` (docs/EMBEDDING.md), not cut
// off unsaid by the stop step's own bound (stop-steps.ts), which would log the sinks as failing
// to stop and let the process end with the drop never said. The Redis stream's append in flight
// to a frozen Redis is given up the same way.

setDefaultTimeout(30_000);

const dir = mkdtempSync(join(tmpdir(), "mindgw-sinks-stop-"));
let deliveries = 0;
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch() {
    deliveries++;
    return new Response(null, { status: 503 });
  },
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  receiver.stop(true);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The gateway's config with `server.drain_timeout: 100ms` and these `events`. */
const configWith = (file: string, events: Record<string, unknown>) =>
  parseConfig({
    ...EMBEDDED_DEFAULTS,
    server: { drain_timeout: "100ms" },
    storage: { path: join(dir, file) },
    providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
    models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
    events,
  });

test("a webhook answering 503 at a stop past its drain deadline is given up within the stop's time: dropped and logged as closed", async () => {
  const config = configWith("gw.db", {
    webhooks: [
      {
        url: `http://127.0.0.1:${receiver.port}/hook`,
        secret: "0123456789abcdef",
        flush: "10ms",
        max_attempts: 100,
      },
    ],
  });
  const { logger, lines } = recordingLogger();
  const { gateway, adminKey } = await recordingGateway(config, logger);
  const { port } = gateway.listen("127.0.0.1", 0);
  const models = await fetch(`http://127.0.0.1:${port}/v1/models`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(models.status).toBe(200);
  // Its request.finished is being retried against the 503s.
  await waitForValue("a delivery refused", () => deliveries > 0);
  await gateway.stop();
  const said = lines.map((line) => `${line.level} ${line.message} ${line.fields?.reason ?? ""}`);
  expect(said).toContain("warn webhook events dropped closed");
  expect(said.filter((line) => line.includes("stop:"))).toEqual([]);
});

test("a Redis stream whose append is in flight to a frozen Redis at a stop past its drain deadline is given up within the stop's time: dropped, logged as closed, saying it may have landed", async () => {
  const config = configWith("gw-redis.db", { redis_stream: { url: redis.url, stream: "events" } });
  const { logger, lines } = recordingLogger();
  const { gateway, adminKey } = await recordingGateway(config, logger);
  const { port } = gateway.listen("127.0.0.1", 0);
  const listModels = () =>
    fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect((await listModels()).status).toBe(200);
  // Appended: the link is up, and the next append goes out on it.
  const reader = new RedisClient(redis.url);
  try {
    await waitForValue(
      "the first request.finished appended",
      async () => (await reader.send("XLEN", ["events"])) === 1,
    );
  } finally {
    reader.close();
  }
  // Frozen, not gone: the next append is written and never answered (its bound is 2 s).
  await redis.frozen(async () => {
    expect((await listModels()).status).toBe(200);
    await gateway.stop();
  });
  const said = lines.map((line) => `${line.level} ${line.message} ${line.fields?.reason ?? ""}`);
  expect(said).toContain("warn redis stream events dropped closed");
  expect(said.filter((line) => line.includes("stop:"))).toEqual([]);
  const dropped = lines.find((line) => line.message === "redis stream events dropped");
  expect(dropped?.fields?.count).toBe(1);
  expect(String(dropped?.fields?.error)).toContain("may have been appended");
  // And it may: Redis, woken, runs the append it was sent before the sink let go.
  const after = new RedisClient(redis.url);
  try {
    await waitForValue(
      "the unanswered append made",
      async () => (await after.send("XLEN", ["events"])) === 2,
      20_000,
      50,
    );
  } finally {
    after.close();
  }
});
