import { beforeAll, describe, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream, type WorkerProcess } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// Flow control through the tunnel: a client that reads slowly must stall the worker's read of
// its upstream (credit), not pile the answer up in the gateway's or the worker's memory.
let gw: GatewayProcess;
let adminKey: string;
let fake: FakeProcess;
let worker: WorkerProcess;

const fx = gatewayFixture({ fake: () => spawnFakeUpstream() });

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  ({
    workers: [worker],
  } = await connectFleet(fx, [{ upstream: `${fake.url}/v1`, name: "w", models: ["fake-model"] }]));
}, 60_000);

/** Resident memory in MiB, from /proc. */
async function rssMib(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? Number.NaN) / 1024;
}

const WORDS = 1_000_000;
const MIB = 1024 * 1024;

describe("workers: a slow client", () => {
  test("pauses the upstream instead of growing the gateway's or the worker's memory", async () => {
    // The fake echoes the prompt one word per SSE event: a 2 MB prompt of one-letter words is
    // an answer of about a million events, well over 100 MB of SSE.
    const prompt = "a ".repeat(WORDS);
    const baseline = { gateway: await rssMib(gw.proc.pid), worker: await rssMib(worker.proc.pid) };
    const abort = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "fake-model",
        stream: true,
        messages: [{ role: "user", content: prompt }],
      }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    const peak = { ...baseline };
    const sample = async () => {
      peak.gateway = Math.max(peak.gateway, await rssMib(gw.proc.pid));
      peak.worker = Math.max(peak.worker, await rssMib(worker.proc.pid));
    };
    // A client far slower than the upstream: a read every 100 ms, then a 3 s stall, then a
    // few more reads. Both processes' memory is sampled all along.
    const readSome = async (reads: number) => {
      for (let i = 0; i < reads; i++) {
        const { value, done } = await reader.read();
        expect(done).toBe(false);
        received += value?.byteLength ?? 0;
        await sample();
        await Bun.sleep(100); // stimulus: the slow reader's pace
      }
    };
    await readSome(10);
    for (let i = 0; i < 30; i++) {
      await sample();
      await Bun.sleep(100); // stimulus: the stall, sampled
    }
    await readSome(10);
    const [upstream] = await fake.requests();
    console.log(
      `slow client: read ${(received / MIB).toFixed(2)} MiB; RSS MiB gateway ${baseline.gateway.toFixed(0)} → peak ${peak.gateway.toFixed(0)}, worker ${baseline.worker.toFixed(0)} → peak ${peak.worker.toFixed(0)}; upstream outcome ${upstream?.outcome}`,
    );
    // The answer is far from complete when the client has read only a few MB of it.
    expect(upstream?.outcome).toBeNull();
    // Bounds measured, not guessed: with credit, growth stayed under ~90 MiB (gateway: the
    // 2 MB prompt and the garbage of relaying what the client did read) and ~40 MiB (worker);
    // with the worker's credit wait removed, the same run grew by ~280 MiB and ~175 MiB.
    expect(peak.gateway - baseline.gateway).toBeLessThan(160);
    expect(peak.worker - baseline.worker).toBeLessThan(120);
    // The client leaves: the cancel travels through the gateway and the worker to the upstream.
    abort.abort();
    await reader.cancel().catch(() => {});
    await waitFor(
      "the upstream to see the abort",
      async () => (await fake.requests())[0]?.outcome === "aborted",
    );
  }, 60_000);
});
