/**
 * A worker on n1 that registers again under its name while a call n2 forwarded to it waits (a
 * restart while its old connection hung on: the new connection replaces the old, 4000): the call
 * goes to the new connection, as on one node (src/workers/worker-replaced-retry.test.ts), over the
 * peer link and over HTTP (a call too large for a link message) alike, once a request per name.
 * Two `mindgw serve` nodes on one PostgreSQL and one Redis, raw WebSocket workers on n1 with one
 * key and name, every call through n2, `routing.retries: 0`; a third, n3, whose worker serves beside.
 */
import { expect, test } from "bun:test";
import { LLAMA_COMPLETION } from "../../src/testing/worker-gateway.ts";
import { openRawWorker, type RawWorker } from "../../src/workers/testing/raw-worker.ts";
import { LLAMA_STREAM } from "../../src/workers/testing/served-calls.ts";
import { allAuditRows } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { relayedNodes } from "./harness/relayed-nodes.ts";
import { createKey, type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });
const nodes = relayedNodes(fx, {
  database: "worker_replaced",
  routing: { retries: 0 },
  // The floor: a request frame past it goes over HTTP (`POST /cluster/v1/forward`), not the link.
  workers: { max_message: "64KB" },
  beside: true,
});
/** A message that makes a call's request frame larger than the link's message limit. */
const PAST_THE_LINK = "x".repeat(70 * 1024);

/**
 * Runs `body` with `count` raw workers connected to n1 under one key (none registered yet), once
 * the first has registered `name` for `model` and n2 has read it there; all closed after it, and
 * read gone by n2, so that the next test counts from where this one began.
 */
async function withWorkersOnN1(
  name: string,
  model: string,
  count: number,
  body: (workers: RawWorker[]) => Promise<void>,
) {
  const token = await createKey(nodes.holding.url, nodes.adminKey, { name, role: "worker", models: ["*"] });
  const before = (await nodes.listedOnN1()) ?? 0;
  const workers: RawWorker[] = [];
  for (let n = 0; n < count; n++) {
    const worker = await openRawWorker(nodes.holding.port, token);
    fx.deferTest(() => worker.socket.close());
    workers.push(worker);
  }
  expect((await (workers[0] as RawWorker).register([model], name)).type).toBe("registered");
  await waitFor(`n2 to read ${name} on n1`, async () => (await nodes.listedOnN1()) === before + 1);
  try {
    await body(workers);
  } finally {
    for (const worker of workers) worker.socket.close();
    await waitFor(`n2 to read ${name} gone`, async () => (await nodes.listedOnN1()) === before);
  }
}

/** A call through n2 waiting on a worker on n1 that registers again under its name meanwhile. */
async function restartedWhileWaiting(name: string, model: string, stream: boolean, content?: string) {
  await withWorkersOnN1(name, model, 2, async ([before, after]) => {
    if (!before || !after) throw new Error("two workers");
    const answer = chatAt(nodes.calling.url, nodes.adminKey, {
      model,
      stream,
      ...(content ? { content } : {}),
    });
    const first = await before.next("request");
    if (stream) {
      // Its head came: nothing has reached the caller before the first event.
      before.send({ type: "head", id: first.id, status: 200, contentType: "text/event-stream" });
      await before.roundTrip();
    }
    expect((await after.register([model], name)).type).toBe("registered");
    expect((await before.waitClosed()).code).toBe(4000);
    const retried = await after.next("request");
    after.send({
      type: "head",
      id: retried.id,
      status: 200,
      contentType: stream ? "text/event-stream" : "application/json",
    });
    after.sendChunk(retried.id, stream ? LLAMA_STREAM : LLAMA_COMPLETION);
    after.send({ type: "end", id: retried.id });
    const response = await answer;
    expect([response.status, await response.text()]).toEqual([200, stream ? LLAMA_STREAM : LLAMA_COMPLETION]);
  });
}

for (const stream of [false, true])
  test(`a ${stream ? "stream given its head" : "whole answer"} through n2 waiting on a worker on n1 that registers again under its name goes to its new connection`, async () => {
    await restartedWhileWaiting(`relayed-${stream ? "stream" : "whole"}`, `relayed-${stream}`, stream);
  }, 60_000);

for (const stream of [false, true])
  test(`so does a ${stream ? "stream given its head" : "whole answer"} n2 forwards over HTTP (too large for a link message)`, async () => {
    await restartedWhileWaiting(`forwarded-${stream}`, `forwarded-${stream}`, stream, PAST_THE_LINK);
  }, 60_000);

test("a stream n2 forwards over HTTP whose worker on n1 is lost after its head fails as that worker lost, not as n1 unreachable", async () => {
  await withWorkersOnN1("forwarded-lost", "forwarded-lost-model", 1, async ([worker]) => {
    if (!worker) throw new Error("a worker");
    const model = "forwarded-lost-model";
    const answer = chatAt(nodes.calling.url, nodes.adminKey, { model, stream: true, content: PAST_THE_LINK });
    const request = await worker.next("request");
    worker.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    await worker.roundTrip();
    worker.socket.close();
    const response = await answer;
    // Before: 503 `node n1 unreachable: connection closed before any answer (ECONNRESET)`.
    expect([response.status, ((await response.json()) as { error: object }).error]).toMatchObject([
      502,
      { code: "worker_lost", message: "worker forwarded-lost was lost (on node n1)" },
    ]);
  });
}, 60_000);

test("a worker on n1 that registers again a second time while the same call through n2 waits is not sent it a third time", async () => {
  await withWorkersOnN1("restarting", "restarting-model", 3, async ([first, second, third]) => {
    if (!first || !second || !third) throw new Error("three workers");
    const answer = chatAt(nodes.calling.url, nodes.adminKey, { model: "restarting-model" });
    await first.next("request");
    expect((await second.register(["restarting-model"], "restarting")).type).toBe("registered");
    await second.next("request");
    expect((await third.register(["restarting-model"], "restarting")).type).toBe("registered");
    const response = await answer;
    // In the words of the worker's end, where it said `was lost`.
    expect([response.status, ((await response.json()) as { error: object }).error]).toMatchObject([
      502,
      {
        code: "worker_lost",
        message: "worker restarting@n1 was disconnected: a newer connection registered under its name",
      },
    ]);
    expect(third.frames.filter((frame) => frame.type === "request")).toEqual([]);
  });
}, 60_000);

test("a worker on n1 that registers again a second time while the call through n2 waits, n3's worker full: the caller is told n3's busy refusal, to come back", async () => {
  const model = "restarting-beside-model";
  // n3's worker takes one call at a time, and one it holds: full whenever n2 forwards to it. n2
  // read it with its room free (it registered so, and the heartbeat is longer than the file).
  const besideKey = await createKey(nodes.beside.url, nodes.adminKey, {
    name: "beside",
    role: "worker",
    models: ["*"],
  });
  const beside = await openRawWorker(nodes.beside.port, besideKey);
  fx.deferTest(() => beside.socket.close());
  const before = (await nodes.listedOn("n3")) ?? 0;
  expect((await beside.register([model], "beside", { concurrency: 1 })).type).toBe("registered");
  await waitFor("n2 to read beside on n3", async () => (await nodes.listedOn("n3")) === before + 1);
  const holding = chatAt(nodes.beside.url, nodes.adminKey, { model });
  await beside.next("request");
  try {
    await withWorkersOnN1("restarting-beside", model, 3, async ([first, second, third]) => {
      if (!first || !second || !third) throw new Error("three workers");
      // n1's worker, with the more room, is chosen; n3's is tried next each time it restarts.
      const id = `restarting-beside-${crypto.randomUUID()}`;
      const answer = chatAt(nodes.calling.url, nodes.adminKey, { model, id });
      await first.next("request");
      expect((await second.register([model], "restarting-beside")).type).toBe("registered");
      await second.next("request");
      expect((await third.register([model], "restarting-beside")).type).toBe("registered");
      const response = await answer;
      // The worker is there, restarting, and n3's will have room: a retry may be served. Before:
      // 502 worker_lost, n1's restart told over n3's refusal once the one re-send was spent.
      expect([response.status, response.headers.get("retry-after")]).toEqual([503, "1"]);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unavailable");
      expect(third.frames.filter((frame) => frame.type === "request")).toEqual([]);
      // n2's row: the first attempt is the restart n1 said (502 worker_lost), not n3's refusal
      // ranked over it (before: 503 unavailable, as if the worker had been busy); the second,
      // once the one re-send was spent, what the caller was told.
      const attempts = await waitFor("n2's row of the call", async () => {
        const rows = await allAuditRows(
          { url: nodes.calling.url, adminKey: nodes.adminKey },
          `model=${model}`,
        );
        const row = rows.find((record) => record.requestId === id);
        return row?.attempts?.map((a) => `${a.route} ${a.status} ${a.errorClass}`);
      });
      expect(attempts).toEqual([
        "worker:restarting-beside@n1 502 worker_lost",
        "worker:restarting-beside@n1 503 unavailable",
      ]);
    });
  } finally {
    beside.socket.close();
    await holding.catch(() => undefined);
  }
}, 90_000);
