import { afterEach, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { waitForValue } from "../testing/wait-for.ts";
import { PROTOCOL_VERSION } from "./protocol.ts";
import { startFakeUpstream } from "./testing/fake-upstream.ts";
import { frozenGateway } from "./testing/frozen-gateway.ts";
import { runWorker } from "./worker/worker-client.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("a second signal stops the worker at once, though its gateway froze: its call is cut upstream, exit 0", async () => {
  const upstream = startFakeUpstream();
  cleanups.push(() => upstream.stop());
  const requestId = "held";
  // The gateway registers the worker, sends it a call whose answer never comes, then freezes.
  const gateway = frozenGateway([
    {
      type: "registered",
      v: PROTOCOL_VERSION,
      workerId: "w1",
      accepted: ["llama-small"],
      refused: [],
      heartbeatMs: 60_000,
      heartbeatTimeoutMs: 180_000,
      maxMessageBytes: 1024 * 1024,
    },
    {
      type: "request",
      id: "1",
      requestId,
      path: "/chat/completions",
      body: { model: "llama-small", fake: { holdHead: true } },
      stream: false,
      window: 256 * 1024,
    },
  ]);
  cleanups.push(() => gateway.stop());
  const lines: string[] = [];
  const signals = new EventEmitter();
  const exit = runWorker({
    connect: gateway.url,
    token: "worker-key",
    upstream: `${upstream.url}/v1`,
    models: ["llama-small"],
    concurrency: 4,
    name: "gpu-1",
    labels: {},
    responsesApi: false,
    log: (level, message) => lines.push(`${level} ${message}`),
    drainTimeoutMs: 120_000,
    signals,
  });
  cleanups.push(async () => {
    upstream.release(requestId);
    signals.emit("SIGTERM");
    await exit;
  });
  await waitForValue("the call upstream", () => upstream.seen.has(requestId) || undefined);
  signals.emit("SIGTERM");
  await waitForValue(
    "the drain",
    () => lines.includes("info draining: finishing in-flight requests") || undefined,
  );
  signals.emit("SIGINT");
  // Not the drain timeout, nor the ~30 s Bun waits on a close handshake the gateway never answers.
  const code = await Promise.race([exit, Bun.sleep(5_000).then(() => "still running")]);
  expect(code).toBe(0);
  await waitForValue("the call cut upstream", () => upstream.aborted.has(requestId) || undefined);
  expect(lines.at(-1)).toBe("info stopped: a second signal cut what was still in flight");
});
