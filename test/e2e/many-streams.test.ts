import { beforeAll, describe, expect, test } from "bun:test";
import { nodeFetch } from "../../src/providers/http/node-fetch.ts";
import { auditRow } from "./harness/admin-api.ts";
import { bearer, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// Bun's native fetch runs at most 256 requests per process and queues the rest silently. The
// gateway must hold more streams than that open at once, directly and through one worker
// connection, and refuse past its own configured bound with a 503, never a queue. (This test's
// client is node:http for the same reason: its own fetch would queue past 256.)
const STREAMS = 300;
const LIMIT = 320;

let fake: FakeProcess;
let gw: GatewayProcess;
let adminKey: string;

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    ...fakeRoutesConfig(fake.url, ["direct-model"]),
    models: [
      { name: "direct-model", routes: [{ provider: "fake", model: "direct-model" }] },
      { name: "tunnel-model", routes: [{ provider: "workers", model: "tunnel-model" }] },
    ],
    server: { max_concurrent_requests: LIMIT },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  await connectFleet(fx, [
    { upstream: `${fake.url}/v1`, name: "wide", models: ["tunnel-model"], concurrency: 1000 },
  ]);
}, 60_000);

/** A stream whose role chunk and first delta come at once and whose rest is held back for a minute. */
const heldStream = (model: string) =>
  JSON.stringify({
    model,
    stream: true,
    messages: [{ role: "user", content: "hold [[fake:chunks=3,chunk-delay=60000,chunk-delay-from=2]]" }],
  });

interface OpenStreams {
  /** How many have received their first content delta. */
  started(): number;
  close(): void;
}

function openStreams(model: string, count: number): OpenStreams {
  const abort = new AbortController();
  let started = 0;
  for (let i = 0; i < count; i++) {
    void (async () => {
      const res = await nodeFetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(adminKey),
        body: heldStream(model),
        signal: abort.signal,
      });
      if (res.status !== 200 || !res.body) return;
      const decoder = new TextDecoder();
      let text = "";
      // Read on (never break: that would cancel the stream and free its slot) until aborted.
      for await (const chunk of res.body) {
        if (text.includes('"content"')) continue;
        text += decoder.decode(chunk, { stream: true });
        if (text.includes('"content"')) started++;
      }
    })().catch(() => {});
  }
  return { started: () => started, close: () => abort.abort() };
}

async function gatewayRssMib(): Promise<number> {
  const status = await Bun.file(`/proc/${gw.proc.pid}/status`).text();
  return Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? Number.NaN) / 1024;
}

/** Waits until the gateway serves again (the streams' slots are free once they are cancelled). */
const servesAgain = () =>
  waitFor(
    "the gateway to take requests again",
    async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(adminKey),
        body: JSON.stringify({ model: "direct-model", messages: [{ role: "user", content: "hi" }] }),
      });
      await res.arrayBuffer();
      return res.status === 200;
    },
    30_000,
    100,
  );

describe("many concurrent streams", () => {
  test(`${STREAMS} streams to one upstream all start while every one of them is still open`, async () => {
    const streams = openStreams("direct-model", STREAMS);
    try {
      await waitFor(`${STREAMS} streams to start`, () => streams.started() === STREAMS, 45_000, 50);
      expect(await gatewayRssMib()).toBeLessThan(250);
    } finally {
      streams.close();
    }
    await servesAgain();
  }, 90_000);

  test(`${STREAMS} streams through one worker connection all start`, async () => {
    const streams = openStreams("tunnel-model", STREAMS);
    try {
      await waitFor(`${STREAMS} tunnelled streams to start`, () => streams.started() === STREAMS, 45_000, 50);
      expect(await gatewayRssMib()).toBeLessThan(250);
    } finally {
      streams.close();
    }
    await servesAgain();
  }, 90_000);

  test("past server.max_concurrent_requests the next request gets 503 over_capacity at once, audited with its key", async () => {
    const streams = openStreams("direct-model", LIMIT);
    const refused: (string | null)[] = [];
    try {
      await waitFor(`${LIMIT} streams to start`, () => streams.started() === LIMIT, 45_000, 50);
      const openai = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(adminKey),
        body: JSON.stringify({ model: "direct-model", messages: [{ role: "user", content: "one more" }] }),
      });
      expect(openai.status).toBe(503);
      expect(openai.headers.get("retry-after")).toBe("1");
      expect(openai.headers.get("x-request-id")).toBeTruthy();
      refused.push(openai.headers.get("x-request-id"));
      const body = (await openai.json()) as { error: { code: string; type: string; message: string } };
      expect(body.error.code).toBe("over_capacity");
      expect(body.error.type).toBe("service_unavailable");
      expect(body.error.message).toContain("max_concurrent_requests");
      const anthropic = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: {
          "x-api-key": adminKey,
          "content-type": "application/json",
          "anthropic-version": "2023-06-01",
        },
        body: JSON.stringify({
          model: "direct-model",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      expect(anthropic.status).toBe(503);
      expect(((await anthropic.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
      refused.push(anthropic.headers.get("x-request-id"));
    } finally {
      streams.close();
    }
    await servesAgain();
    // Refused before authentication, yet named: the key cache held the key (no store read).
    for (const id of refused)
      expect(await auditRow(gw, id ?? "")).toMatchObject({ status: 503, keyName: "bootstrap-admin" });
  }, 90_000);
});
