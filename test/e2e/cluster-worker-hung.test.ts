/**
 * A worker whose model server hangs, for calls another cluster node forwarded to it: two `mindgw
 * serve` nodes on one PostgreSQL and one Redis, a hand-driven worker on n1, every call through n2
 * (over the peer link). The bound is n2's; n1, which holds the worker, judges its server's silence
 * as for a call of its own once n2's cancel says that bound cut it, and no hang-up is judged so.
 */
import { expect, test } from "bun:test";
import { openRawWorker, type RawWorker } from "../../src/workers/testing/raw-worker.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { relayedNodes } from "./harness/relayed-nodes.ts";
import { createKey, type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });
// No retries, and bounds short enough for a test: each call to the silent worker is a 504. The
// breaker is not the subject: at its default its 504s would refuse the model on n2.
const nodes = relayedNodes(fx, {
  database: "worker_hung",
  routing: { retries: 0, timeouts: { connect: "2s", first_byte: "2s" }, circuit_breaker: { failures: 100 } },
});

/** When n1 has `name` out of rotation until (epoch ms); undefined while in it. */
async function ejectedOnN1(name: string): Promise<number | undefined> {
  const response = await fetch(`${nodes.holding.url}/admin/api/workers`, {
    headers: { authorization: `Bearer ${nodes.adminKey}` },
  });
  const body = (await response.json()) as { workers: { name: string; ejectedUntil?: number }[] };
  return body.workers.find((worker) => worker.name === name)?.ejectedUntil;
}

/**
 * Runs `body` with a raw worker on n1 serving `model`, once n2 has read it there; closed after it,
 * and read gone by n2, so that the next test counts from where this one began.
 */
async function withWorkerOnN1(name: string, model: string, body: (socket: RawWorker) => Promise<void>) {
  const token = await createKey(nodes.holding.url, nodes.adminKey, { name, role: "worker", models: ["*"] });
  const before = (await nodes.listedOnN1()) ?? 0;
  const socket = await openRawWorker(nodes.holding.port, token);
  fx.deferTest(() => socket.socket.close());
  expect((await socket.register([model], name)).type).toBe("registered");
  await waitFor(`n2 to read ${name} on n1`, async () => (await nodes.listedOnN1()) === before + 1);
  try {
    await body(socket);
  } finally {
    socket.socket.close();
    await waitFor(`n2 to read ${name} gone`, async () => (await nodes.listedOnN1()) === before);
  }
}

test("a worker on n1 whose model server answers nothing to calls through n2 is taken out of rotation on n1 at the third bound in a row", async () => {
  await withWorkerOnN1("relayed-hung", "hung-model", async (socket) => {
    // A whole answer with nothing, a stream with its head and nothing after it, a whole answer again.
    for (const [n, stream] of [false, true, false].entries()) {
      const call = chatAt(nodes.calling.url, nodes.adminKey, { model: "hung-model", stream });
      const request = await socket.next("request");
      if (stream)
        socket.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
      expect([n, (await call).status]).toEqual([n, 504]);
      // n2's cancel reached the worker: n1 has judged it by then (the same turn).
      await socket.next("cancel");
      if (n < 2) expect([n, await ejectedOnN1("relayed-hung")]).toEqual([n, undefined]);
    }
    // Before, n1 saw only three cancels and judged nothing: the worker kept its share for ever.
    await waitFor(
      "n1 to take the worker out",
      async () => ((await ejectedOnN1("relayed-hung")) ?? 0) > Date.now(),
    );
  });
}, 60_000);

test("callers through n2 who hang up on a silent worker on n1 judge nothing there", async () => {
  await withWorkerOnN1("relayed-left", "left-model", async (socket) => {
    for (let n = 0; n < 4; n++) {
      const leave = new AbortController();
      const call = chatAt(nodes.calling.url, nodes.adminKey, { model: "left-model", signal: leave.signal });
      await socket.next("request");
      leave.abort();
      await call.catch(() => undefined);
      await socket.next("cancel");
      expect([n, await ejectedOnN1("relayed-left")]).toEqual([n, undefined]);
    }
  });
}, 60_000);
