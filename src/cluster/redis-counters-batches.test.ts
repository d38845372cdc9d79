import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import { startHoldingProxy } from "../../test/e2e/harness/holding-proxy.ts";
import type { RedisServer } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { ADMIT_SCRIPT, RECORD_SCRIPT } from "./admit-script.ts";
import { createRedisCounters, tokensKey } from "./redis-counters.ts";
import { RedisLink } from "./redis-link.ts";
import { redisCounterNodes, scope } from "./testing/redis-counter-nodes.ts";

// Shared counters in a real Redis: how a node's records and admissions go to Redis, one call a
// turn, in order, behind a batch in flight, and what a slow Redis does to them.

let redis: RedisServer;
const { links, node } = redisCounterNodes((server) => {
  redis = server;
});

test("a record's call, as `record` hands it out to each answer of the turn, settles once Redis has run it", async () => {
  const counters = await node("acknowledged");
  // Two answers of one turn: both wait for the one call carrying them.
  const call = counters.record([{ subject: "key:acknowledged", tokens: 5 }], [], 8_000_000);
  expect(call).toBeDefined();
  expect(counters.record([], [{ subject: "key:acknowledged-spend", usd: 0.5 }], 8_000_000)).toBe(call);
  await call;
  // Read by another client once the call settled (as the other node a client asks next): Redis
  // has run the record, the script's first call included (a Redis that lacks it is sent it then).
  const seen = Bun.spawnSync(
    ["redis-cli", "-p", String(redis.port), "HGET", tokensKey("key:acknowledged"), "8000"],
    { timeout: 5000 },
  );
  expect(seen.stdout.toString().trim()).toBe("5");
});

test("a record that adds nothing shared (no tpm, cost 0) hands out no call, whatever other records are pending or with Redis", async () => {
  const counters = await node("nothing-shared");
  const control = new RedisClient(redis.url);
  // The script loaded first.
  await counters.record([{ subject: "key:nothing-shared-warm", tokens: 1 }], [], 8_400_000);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  let pending: Promise<void> | undefined;
  try {
    // One answer's record sent and with Redis.
    const sent = counters.record([{ subject: "key:nothing-shared", tokens: 5 }], [], 8_400_000);
    await new Promise((resolve) => setImmediate(resolve));
    // A failed request's charge (a client that left mid-prompt), pending in this turn, which no
    // answer waits for; then, in the same turn, a self-hosted model's answer for a key without tpm:
    // it waits for nothing, where it was handed the failed request's call.
    pending = counters.record([{ subject: "key:nothing-shared", tokens: 5 }], [], 8_400_000);
    expect(counters.record([], [], 8_400_000)).toBeUndefined();
    expect(sent).toBeDefined();
    expect(pending).toBeDefined();
    expect(pending).not.toBe(sent);
  } finally {
    await control.send("CLIENT", ["UNPAUSE"]);
  }
  await pending;
  expect(await control.hget(tokensKey("key:nothing-shared"), "8400")).toBe("10");
  control.close();
});

test("a record's call that outlasts the Redis timeout settles all the same, its failure told", async () => {
  const link = new RedisLink({ url: redis.url, timeoutMs: 300 });
  links.push(link);
  expect(await link.start()).toBe(true);
  const errors: unknown[] = [];
  const counters = createRedisCounters({
    link,
    nodeId: "record-timeout",
    nodes: () => 1,
    onError: (error) => errors.push(error),
  });
  const control = new RedisClient(redis.url);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  try {
    await counters.record([{ subject: "key:record-timeout", tokens: 5 }], [], 8_500_000);
    expect(errors.map(String)).toEqual(["Error: redis call took over 300 ms"]);
  } finally {
    await control.send("CLIENT", ["UNPAUSE"]);
    control.close();
  }
  await waitFor("the link to reconnect", () => link.healthy());
});

test("the records of one turn go as one call, sent at the turn's end, none of them on the answers' own path", async () => {
  // A link that writes each call at once: a call made during the turn would be in Redis before
  // it ends (a pipelining link holds every write to the turn's end, so it would show nothing).
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  links.push(link);
  expect(await link.start()).toBe(true);
  const counters = createRedisCounters({ link, nodeId: "one-turn", nodes: () => 3 });
  const control = new RedisClient(redis.url);
  // The script loaded first, and its call answered.
  await counters.record([{ subject: "key:turn-warm", tokens: 1 }], [], 9_000_000);
  await control.send("CONFIG", ["RESETSTAT"]);
  for (let answer = 0; answer < 3; answer++)
    counters.record([{ subject: "key:one-turn", tokens: 5 }], [], 9_000_000);
  const call = counters.record([], [{ subject: "key:one-turn-spend", usd: 0.5 }], 9_000_000);
  // Read by another client while this process is still in the turn: nothing sent yet.
  const during = Bun.spawnSync(
    ["redis-cli", "-p", String(redis.port), "HGET", tokensKey("key:one-turn"), "9000"],
    { timeout: 5000 },
  );
  expect(during.stdout.toString().trim()).toBe("");
  await call;
  expect(await control.hget(tokensKey("key:one-turn"), "9000")).toBe("15");
  const stats = String(await control.send("INFO", ["commandstats"]));
  expect(stats).toMatch(/cmdstat_evalsha:calls=1,/);
  control.close();
});

test("records made while a batch is with Redis go at once, each turn's as one call, and count in the next batch", async () => {
  const counters = await node("pipelined");
  const control = new RedisClient(redis.url);
  const limited = [scope("key:pipelined", { tpm: 1_000_000 })];
  // Both scripts loaded: a record, then an admission (the record goes ahead of it).
  counters.record([{ subject: "key:warm3", tokens: 1 }], [], 1_000);
  await counters.admit([scope("key:warm3", { tpm: 1000 })], 1_000);
  await control.send("CONFIG", ["RESETSTAT"]);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  const calls: (Promise<void> | undefined)[] = [];
  for (let turn = 0; turn < 4; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    counters.record([{ subject: "key:pipelined", tokens: 5 }], [], 2_000);
    calls.push(counters.record([{ subject: "key:pipelined", tokens: 5 }], [], 2_000));
    admissions.push(counters.admit(limited, 2_001 + turn));
  }
  await control.send("CLIENT", ["UNPAUSE"]);
  const results = await Promise.all(admissions);
  await Promise.all(calls);
  // Every admission of the second batch counts the four turns' records, sent before it.
  expect(results.map((r) => r.usage[0]!.tokens)).toEqual([0, 40, 40, 40, 40]);
  const stats = String(await control.send("INFO", ["commandstats"]));
  // The first batch, a record call a turn (not held back until that batch answered), the second
  // batch: six script calls.
  expect(stats).toMatch(/cmdstat_evalsha:calls=6,/);
  control.close();
});

test("a record made while a batch is with Redis is written right behind it, not once it is answered", async () => {
  const proxy = await startHoldingProxy({ hostname: "127.0.0.1", port: redis.port });
  const link = new RedisLink({ url: `redis://127.0.0.1:${proxy.port}`, timeoutMs: 5000 });
  links.push(link);
  try {
    expect(await link.start()).toBe(true);
    const counters = createRedisCounters({ link, nodeId: "behind", nodes: () => 1 });
    const sha = (script: string) => new Bun.CryptoHasher("sha1").update(script).digest("hex");
    // Held on its way to Redis: the batch stays in flight, unanswered.
    proxy.hold();
    const admitted = counters.admit([scope("key:behind", { tpm: 1000 })], 3_000);
    await waitFor("the batch, held", () => proxy.held().includes(sha(ADMIT_SCRIPT)));
    const recorded = counters.record([{ subject: "key:behind", tokens: 7 }], [], 3_000);
    await waitFor("the record, written behind it", () => proxy.held().includes(sha(RECORD_SCRIPT)));
    proxy.release();
    await Promise.all([admitted, recorded]);
    expect((await counters.admit([scope("key:behind", { tpm: 1000 })], 3_001)).usage[0]!.tokens).toBe(7);
  } finally {
    proxy.stop();
  }
});

test("admissions that arrive while a batch is with Redis wait and go as one batch, in order", async () => {
  const counters = await node("inflight");
  const control = new RedisClient(redis.url);
  const limited = [scope("key:inflight", { rpm: 1000 })];
  await counters.admit([scope("key:warm", { rpm: 1000 })], 1_000); // the script is loaded
  await control.send("CONFIG", ["RESETSTAT"]);
  // Redis holds scripts that write until unpaused: the first batch stays in flight.
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  for (let turn = 0; turn < 4; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 10; i++) admissions.push(counters.admit(limited, 2_001 + turn));
  }
  await control.send("CLIENT", ["UNPAUSE"]);
  const results = await Promise.all(admissions);
  expect(results.map((r) => r.usage[0]!.requests)).toEqual(results.map((_, i) => i + 1));
  const stats = String(await control.send("INFO", ["commandstats"]));
  // The first request's batch, then the forty that came in four later turns: two runs.
  expect(stats).toMatch(/cmdstat_evalsha:calls=2,/);
  control.close();
});

test("when the batch in flight fails (Redis too slow), those waiting behind it fail with it, unsent", async () => {
  const link = new RedisLink({ url: redis.url, timeoutMs: 300 });
  links.push(link);
  expect(await link.start()).toBe(true);
  const counters = createRedisCounters({ link, nodeId: "stalled", nodes: () => 1 });
  const control = new RedisClient(redis.url);
  const limited = [scope("key:stalled", { rpm: 1000 })];
  await counters.admit([scope("key:warm2", { rpm: 1000 })], 1_000); // the script is loaded
  await control.send("CONFIG", ["RESETSTAT"]);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  for (let turn = 0; turn < 3; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) admissions.push(counters.admit(limited, 2_001 + turn));
  }
  const settled = await Promise.allSettled(admissions);
  // Every one failed (the rate limiter then admits it on local counters), with the batch's error.
  expect(settled.map((r) => r.status)).toEqual(admissions.map(() => "rejected"));
  expect(new Set(settled.map((r) => (r.status === "rejected" ? String(r.reason) : "")))).toEqual(
    new Set([String((settled[0] as PromiseRejectedResult).reason)]),
  );
  await control.send("CLIENT", ["UNPAUSE"]);
  // Nothing came back while the batch waited, so the link took Redis as down (redis-link.ts) and
  // closed that connection; it reconnects now that Redis answers.
  await waitFor("the link to reconnect", () => link.healthy());
  await link.call((client) => client.send("PING", []));
  // At most the one batch ran (it went with its connection, or ran as that closed): none of
  // those waiting behind it was sent.
  const stats = String(await control.send("INFO", ["commandstats"]));
  expect(Number(/cmdstat_evalsha:calls=(\d+),/.exec(stats)?.[1] ?? 0)).toBeLessThanOrEqual(1);
  control.close();
});
