/**
 * A worker's frames out of order (before its head, a second head), for a call another cluster
 * node relayed to it: two `mindgw serve` nodes on one PostgreSQL and one Redis, a hand-driven
 * worker on n1, every call through n2 (over the peer link). Its own node closes it as for a call of its own, not only when the call
 * was taken there. The heartbeat is longer than the file runs: what n2 learns of n1's workers, it
 * learns from the notice n1 sends as they connect.
 */
import { expect, test } from "bun:test";
import { headTwice, openRawWorker, type RawWorker } from "../../src/workers/testing/raw-worker.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { relayedNodes } from "./harness/relayed-nodes.ts";
import { createKey, type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });
// No retries: the caller's answer is the relayed call's own.
const nodes = relayedNodes(fx, { database: "worker_frames", routing: { retries: 0 } });
const { listedOnN1 } = nodes;

test("a body or an end before the head, or a second head, for a call relayed from another node, closes the worker 1008 on its own node; the calling node hears it lost at once", async () => {
  const token = await createKey(nodes.holding.url, nodes.adminKey, {
    name: "fleet",
    role: "worker",
    models: ["*"],
  });
  const cases = [
    ["relayed-end-first", (socket: RawWorker, id: string) => socket.send({ type: "end", id })],
    ["relayed-body-first", (socket: RawWorker, id: string) => socket.sendChunk(id, '{"id":"x"}')],
    ["relayed-head-twice", headTwice],
  ] as const;
  for (const [name, early] of cases) {
    const socket = await openRawWorker(nodes.holding.port, token);
    fx.defer(() => socket.socket.close());
    expect((await socket.register([`${name}-model`], name)).type).toBe("registered");
    await waitFor(`n2 to read ${name} on n1`, async () => (await listedOnN1()) === 1);
    const call = chatAt(nodes.calling.url, nodes.adminKey, { model: `${name}-model` });
    early(socket, (await socket.next("request")).id);
    // Before, n1 passed the frame on and n2 dropped it: the worker stayed up until its heartbeat
    // timeout (4001, 30 s on), the caller waiting that out or the first-byte bound.
    expect((await socket.waitClosed()).code).toBe(1008);
    const answer = await call;
    expect(answer.status).toBe(502);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("worker_lost");
    await waitFor("n1's log line", () =>
      nodes.holding.stderr.all
        .split("\n")
        .some((l) => l.includes("worker connection closed: protocol error") && l.includes(name)),
    );
    await waitFor(`n2 to read ${name} gone`, async () => (await listedOnN1()) === 0);
  }
}, 60_000);
