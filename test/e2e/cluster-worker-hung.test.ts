/**
 * A worker whose model server hangs, for calls another cluster node forwarded to it: two `mindgw
 * serve` nodes on one PostgreSQL and one Redis, a hand-driven worker on n1, every call through n2
 * (over the peer link, or over HTTP for a call too large for a link message). The bound is n2's;
 * n1, which holds the worker, judges its server's silence as for a call of its own once n2's cancel
 * says that bound cut it, and no hang-up is judged so.
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
  // The floor: a request frame past it goes over HTTP (`POST /cluster/v1/forward`), not the link.
  workers: { max_message: "64KB" },
});
/** A message that makes a call's request frame larger than the link's message limit. */
const PAST_THE_LINK = "x".repeat(70 * 1024);

/** How many calls n2 sent n1 over HTTP rather than the peer link (`/admin/api/status`). */
async function sentOverHttpToN1(): Promise<number | undefined> {
  const response = await fetch(`${nodes.calling.url}/admin/api/status`, {
    headers: { authorization: `Bearer ${nodes.adminKey}` },
  });
  const status = (await response.json()) as { cluster?: { links: { node: string; sentOverHttp: number }[] } };
  return status.cluster?.links.find((link) => link.node === "n1")?.sentOverHttp;
}

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

/**
 * Three calls through n2 to a silent worker on n1 (a whole answer, a stream given its head and
 * nothing after it, a whole answer), each a 504 at n2's bound; n1 takes the worker out at the third.
 */
async function hungThrice(name: string, model: string, content?: string) {
  await withWorkerOnN1(name, model, async (socket) => {
    for (const [n, stream] of [false, true, false].entries()) {
      const call = chatAt(nodes.calling.url, nodes.adminKey, {
        model,
        stream,
        ...(content ? { content } : {}),
      });
      const request = await socket.next("request");
      if (stream)
        socket.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
      expect([n, (await call).status]).toEqual([n, 504]);
      // n2's cancel reached the worker: n1 has judged it by then (the same turn).
      await socket.next("cancel");
      if (n < 2) expect([n, await ejectedOnN1(name)]).toEqual([n, undefined]);
    }
    // Before, n1 saw only three cancels and judged nothing: the worker kept its share for ever.
    await waitFor("n1 to take the worker out", async () => ((await ejectedOnN1(name)) ?? 0) > Date.now());
  });
}

test("a worker on n1 whose model server answers nothing to calls through n2 is taken out of rotation on n1 at the third bound in a row", async () => {
  await hungThrice("relayed-hung", "hung-model");
}, 60_000);

test("so is one whose calls n2 forwards over HTTP (each too large for a link message)", async () => {
  const before = (await sentOverHttpToN1()) ?? 0;
  await hungThrice("forwarded-hung", "forwarded-model", PAST_THE_LINK);
  // Each went over HTTP: the calling node's cancel is a POST /cluster/v1/cancel, not a link frame.
  expect(await sentOverHttpToN1()).toBe(before + 3);
}, 60_000);

/** Four callers through n2 who hang up on a silent worker on n1: nothing is judged there. */
async function leftFour(name: string, model: string, content?: string) {
  await withWorkerOnN1(name, model, async (socket) => {
    for (let n = 0; n < 4; n++) {
      const leave = new AbortController();
      const call = chatAt(nodes.calling.url, nodes.adminKey, {
        model,
        signal: leave.signal,
        ...(content ? { content } : {}),
      });
      await socket.next("request");
      leave.abort();
      await call.catch(() => undefined);
      await socket.next("cancel");
      expect([n, await ejectedOnN1(name)]).toEqual([n, undefined]);
    }
  });
}

test("callers through n2 who hang up on a silent worker on n1 judge nothing there", async () => {
  await leftFour("relayed-left", "left-model");
}, 60_000);

test("nor do they over HTTP", async () => {
  await leftFour("forwarded-left", "forwarded-left-model", PAST_THE_LINK);
}, 60_000);
