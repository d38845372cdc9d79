/**
 * Cluster nodes and workers whose wall clocks disagree with the host's (one node 90 s ahead, as
 * one whose NTP is off; one NTP steps back; some run ten times as fast, a step at every look):
 * the rpm and tpm the nodes share in Redis are one limit all the same, the directory follows a
 * node whatever its clock says, and no step is taken for a silent worker, gateway or peer link
 * (DEPLOYMENT.md, "Clocks"). The skewed processes run under libfaketime (skewed-clock.ts);
 * PostgreSQL and Redis are real, started here.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import { racingClock, skewedClock, steppableClock } from "./harness/skewed-clock.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey as createWorkerKey,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

/** Past the minute's window: a node this far ahead read every other node's requests as expired. */
const AHEAD_S = 90;

let onTime: GatewayProcess;
let ahead: GatewayProcess;
let adminKey: string;
let databaseUrl: string;
let redisUrl: string;

const fx = gatewayFixture({ fake: null, gateway: false });

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("clocks");
  redisUrl = redis.url;
  onTime = await fx.startNode({ name: "on-time", databaseUrl, redisUrl });
  adminKey = onTime.adminKey ?? "";
  ahead = await fx.startNode({ name: "ahead", databaseUrl, redisUrl, env: skewedClock(AHEAD_S) });
  for (const node of [onTime, ahead])
    await waitFor(
      `both nodes listed by ${node.url}`,
      async () => {
        const response = await fetch(`${node.url}/admin/api/status`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const status = (await response.json()) as { cluster?: { redis: string; nodes: unknown[] } };
        return status.cluster?.redis === "up" && status.cluster.nodes.length === 2;
      },
      20_000,
    );
}, 90_000);

/** One whole answer's status and Retry-After (seconds; null when none). */
async function ask(
  node: GatewayProcess,
  key: string,
): Promise<{ status: number; retryAfter: number | null }> {
  const response = await chatAt(node.url, key);
  await response.arrayBuffer();
  const retryAfter = response.headers.get("retry-after");
  return { status: response.status, retryAfter: retryAfter === null ? null : Number(retryAfter) };
}

/** Every status of `count` requests sent one after another. */
async function statuses(node: GatewayProcess, key: string, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await ask(node, key)).status);
  return seen;
}

describe("a node whose clock is 90 s ahead of the other's", () => {
  test("rpm: the requests the on-time node admitted count on the node ahead (it drops none of them from the window)", async () => {
    const { key } = await createKey({ url: onTime.url, adminKey }, { name: "rpm-then-ahead", rpm: 5 });
    expect(await statuses(onTime, key, 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await ask(ahead, key);
    expect(refused.status).toBe(429);
    // A slot frees within the minute, as on one node.
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  }, 30_000);

  test("rpm: the requests the node ahead admitted count on the on-time node, which is told a wait within the minute", async () => {
    const { key } = await createKey({ url: onTime.url, adminKey }, { name: "rpm-ahead-first", rpm: 5 });
    expect(await statuses(ahead, key, 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await ask(onTime, key);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  }, 30_000);

  test("tpm: the tokens one node counted hold the other to the limit, either way round", async () => {
    const answer = (await (await chatAt(onTime.url, adminKey)).json()) as { usage: { total_tokens: number } };
    const tokens = answer.usage.total_tokens;
    for (const [first, second] of [
      [onTime, ahead],
      [ahead, onTime],
    ] as const) {
      // One answer reaches the limit; the next request, on the other node, is refused.
      const { key } = await createKey(
        { url: onTime.url, adminKey },
        { name: `tpm-${first.port}`, tpm: tokens },
      );
      expect((await ask(first, key)).status).toBe(200);
      const refused = await ask(second, key);
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBeGreaterThan(0);
      expect(refused.retryAfter).toBeLessThanOrEqual(61);
    }
  }, 30_000);

  test("the node ahead says in its log how far its clock is off Redis's; the on-time node says nothing of it", () => {
    expect(ahead.stderr.all).toMatch(/this node's clock is (89|90|91)\.\d s ahead of Redis's/);
    expect(onTime.stderr.all).not.toContain("this node's clock is");
  });
});

test("a node whose clock NTP steps back 10 minutes is followed by the others at once: a worker that connects to it after the step is routed from the on-time node", async () => {
  const dir = tempDir("mindgw-clock-");
  fx.defer(() => dir.cleanup());
  const clock = steppableClock(dir.path, 600);
  const stepped = await fx.startNode({ name: "stepped", databaseUrl, redisUrl, env: clock.env });
  const models = async (node: GatewayProcess) =>
    JSON.stringify(
      await (
        await fetch(`${node.url}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } })
      ).json(),
    );
  await waitFor(
    "the on-time node to list the stepped node",
    async () => {
      const response = await fetch(`${onTime.url}/admin/api/status`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const status = (await response.json()) as { cluster?: { nodes: { id: string }[] } };
      return status.cluster?.nodes.some((n) => n.id === "stepped") === true;
    },
    20_000,
  );
  clock.step(0);
  await waitFor(
    "the stepped node to find its clock on Redis's again",
    () => stepped.stderr.all.includes("within a second of Redis's again"),
    20_000,
  );
  const fake = fx.own(await spawnFakeUpstream());
  const token = await createWorkerKey(stepped.url, adminKey, {
    name: "stepped-fleet",
    role: "worker",
    models: ["*"],
  });
  const worker = fx.own(
    spawnWorker({
      gateway: stepped.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w-stepped",
      models: ["stepped-model"],
    }),
  );
  await waitForWorkers(stepped.url, adminKey, [worker.name]);
  // Within a few heartbeats (200 ms here), not once the clock has caught up with what it said 10 minutes ahead.
  await waitFor(
    "the on-time node to route stepped-model",
    async () => (await models(onTime)).includes("stepped-model"),
    15_000,
  );
}, 90_000);

test("a node whose wall clock leaps forward (run 10 times as fast: a step at every look) keeps its workers: a call the other node forwards to one, thinking meanwhile, is answered on the same connection, none dropped as a heartbeat timeout", async () => {
  // Heartbeats of 1 s, judged within 3 s (of the wall clock, before: every sweep saw seconds pass).
  const racing = await fx.startNode({
    name: "racing",
    databaseUrl,
    redisUrl,
    env: racingClock(10),
    extra: { workers: { heartbeat_timeout: "3s" } },
  });
  const fake = fx.own(await spawnFakeUpstream());
  const token = await createWorkerKey(racing.url, adminKey, {
    name: "racing-fleet",
    role: "worker",
    models: ["*"],
  });
  const worker = fx.own(
    spawnWorker({
      gateway: racing.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w-racing",
      models: ["racing-model"],
    }),
  );
  await waitFor(
    "the on-time node to route racing-model",
    async () => {
      const response = await fetch(`${onTime.url}/v1/models`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return JSON.stringify(await response.json()).includes("racing-model");
    },
    15_000,
  );
  const [connected] = await waitForWorkers(racing.url, adminKey, [worker.name]);
  // Stimulus: a model that thinks 6 s before it answers (twice the heartbeats' bound): its worker
  // sends nothing meanwhile but its heartbeats.
  const answered = await chatAt(onTime.url, adminKey, {
    model: "racing-model",
    content: "hi [[fake:delay=6000]]",
  });
  expect(answered.status).toBe(200);
  expect(((await answered.json()) as { object: string }).object).toBe("chat.completion");
  expect(racing.stderr.all).not.toContain("heartbeat timeout");
  const [still] = await waitForWorkers(racing.url, adminKey, [worker.name]);
  expect(still?.id).toBe(connected?.id);
}, 90_000);

test("a worker and a node whose wall clocks leap forward keep their connections: a call that thinks 12 s goes from the leaping node over its peer link to a leaping worker behind another node, and is answered", async () => {
  // Heartbeats of 1 s, judged within 3 s, on the node the worker dials; the peer link's every 5 s, judged within 15 s.
  const dialled = await fx.startNode({
    name: "dialled",
    databaseUrl,
    redisUrl,
    extra: { workers: { heartbeat_timeout: "3s" } },
  });
  const leaping = await fx.startNode({ name: "leaping", databaseUrl, redisUrl, env: racingClock(10) });
  const fake = fx.own(await spawnFakeUpstream());
  const token = await createWorkerKey(dialled.url, adminKey, {
    name: "leaping-worker",
    role: "worker",
    models: ["*"],
  });
  const worker = fx.own(
    spawnWorker({
      gateway: dialled.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w-leaping",
      models: ["far-model"],
      env: racingClock(10),
    }),
  );
  const [connected] = await waitForWorkers(dialled.url, adminKey, [worker.name]);
  await waitFor(
    "the leaping node to route far-model",
    async () => {
      const response = await fetch(`${leaping.url}/v1/models`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return JSON.stringify(await response.json()).includes("far-model");
    },
    15_000,
  );
  // Stimulus: a model that thinks 12 s, past the worker's bound and the peer link's, before it answers.
  const answered = await chatAt(leaping.url, adminKey, {
    model: "far-model",
    content: "hi [[fake:delay=12000]]",
  });
  expect(answered.status).toBe(200);
  expect(((await answered.json()) as { object: string }).object).toBe("chat.completion");
  expect(worker.stderr.all).not.toContain("the gateway stopped answering");
  expect(leaping.stderr.all).not.toContain("cluster peer link silent");
  const [still] = await waitForWorkers(dialled.url, adminKey, [worker.name]);
  expect(still?.id).toBe(connected?.id);
}, 90_000);

test("a node whose clock NTP steps back 10 minutes puts a worker it took out of rotation back after the 30 s cooldown, not 10 minutes later", async () => {
  const dir = tempDir("mindgw-clock-");
  fx.defer(() => dir.cleanup());
  const clock = steppableClock(dir.path, 600);
  const rewound = await fx.startNode({ name: "rewound", databaseUrl, redisUrl, env: clock.env });
  const token = await createWorkerKey(rewound.url, adminKey, {
    name: "rewound-fleet",
    role: "worker",
    models: ["*"],
  });
  // Its model server refuses every connection: three calls in a row take it out of rotation.
  const worker = fx.own(
    spawnWorker({
      gateway: rewound.url,
      token,
      upstream: `http://127.0.0.1:${freePort()}/v1`,
      name: "w-rewound",
      models: ["rewound-model"],
    }),
  );
  await waitForWorkers(rewound.url, adminKey, [worker.name]);
  for (let i = 0; i < 3; i++)
    await (await chatAt(rewound.url, adminKey, { model: "rewound-model" })).arrayBuffer();
  const ejected = async () => (await listWorkers(rewound.url, adminKey))[0]?.ejectedUntil;
  expect(await ejected()).toBeNumber();
  clock.step(0);
  await waitFor(
    "the stepped node to find its clock on Redis's again",
    () => rewound.stderr.all.includes("within a second of Redis's again"),
    20_000,
  );
  // The cooldown is 30 s of the node's time, however its wall clock was stepped meanwhile.
  await waitFor("the worker back in rotation", async () => (await ejected()) === undefined, 60_000, 500);
}, 120_000);

test("a node whose clock NTP steps back 10 minutes after a peer link failed to open opens it again within the backoff, not 10 minutes later: calls to that peer's worker are answered over the link", async () => {
  const dir = tempDir("mindgw-clock-");
  fx.defer(() => dir.cleanup());
  const clock = steppableClock(dir.path, 600);
  // Heartbeats of 2 s: its entry (three of them) outlives the freeze below, so the caller keeps
  // the node, and its link, listed throughout.
  const peer = await fx.startNode({ name: "frozen-peer", databaseUrl, redisUrl, heartbeat: "2s" });
  const caller = await fx.startNode({ name: "link-stepped", databaseUrl, redisUrl, env: clock.env });
  const fake = fx.own(await spawnFakeUpstream());
  const token = await createWorkerKey(peer.url, adminKey, {
    name: "peer-fleet",
    role: "worker",
    models: ["*"],
  });
  const worker = fx.own(
    spawnWorker({
      gateway: peer.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w-peer",
      models: ["peer-model"],
    }),
  );
  await waitForWorkers(peer.url, adminKey, [worker.name]);
  const models = async () =>
    JSON.stringify(
      await (
        await fetch(`${caller.url}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } })
      ).json(),
    );
  await waitFor(
    "the stepped node to route peer-model",
    async () => (await models()).includes("peer-model"),
    20_000,
  );
  // Stimulus: the peer frozen (SIGSTOP) as the stepped node opens its first link to it, which gets
  // no answer within its 3 s: the link waits out its backoff before the next open.
  fx.defer(() => peer.proc.kill("SIGCONT"));
  peer.proc.kill("SIGSTOP");
  await (await chatAt(caller.url, adminKey, { model: "peer-model" })).arrayBuffer();
  peer.proc.kill("SIGCONT");
  // The warning is written at the end of the turn that gave up on the link, on stderr (a pipe of
  // its own): it may reach the test after the answer to the call did.
  await waitFor(
    "the stepped node to say its link got no answer",
    () => caller.stderr.all.includes("cluster peer link got no answer"),
    10_000,
  );
  clock.step(0);
  await waitFor(
    "the stepped node to find its clock on Redis's again",
    () => caller.stderr.all.includes("within a second of Redis's again"),
    20_000,
  );
  // The backoff is half a second of the node's time, however its wall clock was stepped meanwhile.
  await waitFor(
    "a call to the peer's worker answered",
    async () => {
      const response = await chatAt(caller.url, adminKey, { model: "peer-model" });
      await response.arrayBuffer();
      return response.status === 200;
    },
    20_000,
    500,
  );
  const status = (await (
    await fetch(`${caller.url}/admin/api/status`, { headers: { authorization: `Bearer ${adminKey}` } })
  ).json()) as { cluster?: { links: { node: string; state: string; sentOverLink: number }[] } };
  expect(status.cluster?.links.find((l) => l.node === "frozen-peer")).toMatchObject({ state: "open" });
}, 120_000);

test("a node restarted under its name on a host whose clock is 10 minutes behind lists its predecessor's workers as draining while the predecessor's last entry would have stood, not 10 minutes longer", async () => {
  type Listed = { id: string; url: string; state: string; workers: number; draining: number };
  const listed = async () => {
    const response = await fetch(`${onTime.url}/admin/api/status`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const status = (await response.json()) as { cluster?: { nodes: Listed[] } };
    return status.cluster?.nodes.find((n) => n.id === "restarted-behind");
  };
  // Heartbeats of 10 s: the predecessor's last entry stands 30 s, time for its successor to start
  // and read it on a loaded machine (at 5 s, 15 s were once too few in a full CI run).
  const predecessor = await fx.startNode({
    name: "restarted-behind",
    databaseUrl,
    redisUrl,
    heartbeat: "10s",
  });
  const fake = fx.own(await spawnFakeUpstream());
  const token = await createWorkerKey(predecessor.url, adminKey, {
    name: "restarted-fleet",
    role: "worker",
    models: ["*"],
  });
  // It dials the predecessor's address only: it never registers with the successor.
  fx.own(
    spawnWorker({
      gateway: predecessor.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w-left",
      models: ["left-model"],
    }),
  );
  await waitFor(
    "the on-time node to read the worker in the predecessor's entry",
    async () => {
      const node = await listed();
      return node?.url === predecessor.url && node.workers === 1;
    },
    30_000,
  );
  await predecessor.stop("SIGTERM", 20_000);
  const successor = await fx.startNode({
    name: "restarted-behind",
    databaseUrl,
    redisUrl,
    heartbeat: "10s",
    env: skewedClock(-600),
  });
  await waitFor(
    "the on-time node to read the successor's entry, the predecessor's worker in it, draining",
    async () => {
      const node = await listed();
      return node?.url === successor.url && node.state === "live" && node.draining === 1;
    },
    20_000,
  );
  // Gone once the predecessor's last entry would have expired (30 s after its last write, as Redis
  // counts), not once the successor's clock, 10 minutes behind, reaches what the predecessor's said.
  await waitFor(
    "the predecessor's worker no longer listed",
    async () => (await listed())?.draining === 0,
    60_000,
  );
}, 180_000);
