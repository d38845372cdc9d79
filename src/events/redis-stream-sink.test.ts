import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import {
  createRedisStreamSink,
  type RedisStreamSink,
  type RedisStreamSinkOptions,
} from "./redis-stream-sink.ts";

setDefaultTimeout(30_000);

// Against a real redis-server on a loopback port: entries appended in order, a Redis outage
// costs a bounded queue, and the backlog is appended once Redis is back.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const event = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

async function entries(stream: string): Promise<GatewayEvent[]> {
  return (await withIds(stream)).map(({ event }) => event);
}

/**
 * A sink appending to `stream` (MAXLEN ~1000) with `options`, once its first event is appended: the
 * sink has Redis's answer to it, not only Redis the entry. Each caller then kills or freezes Redis
 * and counts on that first append being settled, its reply not still on the way (lost at a kill, the
 * event would be put back and dropped or appended again).
 */
async function sinkWithFirst(
  stream: string,
  options: Partial<RedisStreamSinkOptions>,
): Promise<RedisStreamSink> {
  const sink = createRedisStreamSink({ url: redis.url, stream, maxLen: 1000, ...options });
  sink.publish(event(0));
  await waitFor("the first entry appended", () => sink.stats().appended === 1);
  return sink;
}

test("events are appended to the stream in order, one JSON entry each, only the listed types", async () => {
  const sink = createRedisStreamSink({
    url: redis.url,
    stream: "s1",
    maxLen: 1000,
    types: ["config.reloaded"],
  });
  sink.publish(event(1));
  sink.publish({ type: "config.rejected", at: 0, error: "x" });
  sink.publish(event(2));
  await waitFor("two entries", async () => (await entries("s1")).length === 2);
  expect(await entries("s1")).toEqual([event(1), event(2)]);
  await sink.close();
  expect(sink.stats()).toEqual({ queued: 0, appended: 2, dropped: 0 });
});

test("while Redis is away events wait in a bounded queue (the oldest dropped, counted), then go in", async () => {
  const sink = await sinkWithFirst("s2", { maxQueue: 3, retryMs: 50 });
  await redis.kill();
  for (let v = 1; v <= 5; v++) sink.publish(event(v));
  await waitFor("the queue to fill", () => sink.stats().queued === 3);
  expect(sink.stats().dropped).toBe(2);
  await redis.start(); // an empty Redis again: the backlog is all that is appended
  await waitFor(
    "the backlog to be appended",
    async () => (await entries("s2").catch(() => [])).length === 3,
    20_000,
    100,
  );
  expect(await entries("s2")).toEqual([event(3), event(4), event(5)]);
  await sink.close();
});

test("while Redis is away the queue is bounded in bytes too: large events push the oldest out, counted", async () => {
  const sink = createRedisStreamSink({
    url: redis.url,
    stream: "s4",
    maxLen: 1000,
    maxQueue: 1_000, // far off: the bytes bind
    maxQueueBytes: 10_000,
    retryMs: 50,
  });
  await redis.kill();
  // About 3 KB of JSON each: three fit in 10,000 bytes.
  const large = (at: number): GatewayEvent => ({ type: "config.rejected", at, error: "x".repeat(3_000) });
  for (let at = 1; at <= 6; at++) sink.publish(large(at));
  await waitFor("the queue to hold three", () => sink.stats().queued === 3);
  expect(sink.stats().dropped).toBe(3);
  await redis.start();
  await waitFor("the three appended", () => sink.stats().appended === 3, 20_000, 100);
  expect((await entries("s4")).map((e) => e.at)).toEqual([4, 5, 6]);
  await sink.close();
});

/** Whether a new connection to `url` is taken: false once redis-server is gone. */
async function accepting(url: string): Promise<boolean> {
  const client = new RedisClient(url, { autoReconnect: false, connectionTimeout: 5_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

test("while Redis is away a drop says why: the link's reason, as the cluster's line says it; never unsaid", async () => {
  const drops: string[] = [];
  const sink = await sinkWithFirst("s6", {
    maxQueue: 1,
    retryMs: 50,
    onDrop: (count, reason, error) => void drops.push(`${count} ${reason}: ${error}`),
  });
  await redis.kill();
  try {
    // A connection refused is seen in an event loop turn that also delivers the sink's link its
    // close: the link knows Redis is down, though no append has failed since the last went in.
    await waitFor("redis-server gone", async () => !(await accepting(redis.url)));
    // Two at once into a queue of one: the first is let go before any append is tried, then the
    // second, queued at the stop.
    sink.publish(event(1));
    sink.publish(event(2));
    await sink.close();
    expect(drops).toHaveLength(2);
    expect(drops[0]).toMatch(/^1 queue_full: redis unavailable \(.+\)$/);
    expect(drops[1]).toMatch(/^1 closed: redis unavailable \(.+\)$/);
  } finally {
    await sink.close();
    await redis.start();
  }
});

test("events let go while a batch is being appended are the queued ones: the batch in flight is appended, not counted as dropped", async () => {
  const sink = await sinkWithFirst("s3", { maxQueue: 3, batchSize: 3, timeoutMs: 30_000 });
  // Redis paused, not gone: the next batch's appends wait for its answers.
  await redis.frozen(async () => {
    for (let v = 1; v <= 3; v++) sink.publish(event(v));
    await waitFor("the batch taken, in flight", () => sink.stats().queued === 0);
    // The queue fills behind it: 4 and 5 are let go, 1–3 are not.
    for (let v = 4; v <= 8; v++) sink.publish(event(v));
    expect(sink.stats()).toEqual({ queued: 3, appended: 1, dropped: 2 });
  });
  await waitFor("the rest appended", () => sink.stats().appended === 7);
  expect((await entries("s3")).map((e) => (e.type === "config.reloaded" ? e.version : -1))).toEqual([
    0, 1, 2, 3, 6, 7, 8,
  ]);
  await sink.close();
  expect(sink.stats()).toEqual({ queued: 0, appended: 7, dropped: 2 });
});

test("a batch whose answers were lost (Redis froze past the timeout, then took what had been sent) is appended again: both copies carry the event's one id", async () => {
  const sink = await sinkWithFirst("s5", { batchSize: 3, timeoutMs: 300, retryMs: 50 });
  // Frozen, not gone: the XADDs are written to its socket, and no answer comes back in time.
  await redis.frozen(async () => {
    for (let v = 1; v <= 3; v++) sink.publish(event(v));
    await waitFor("the batch taken, in flight", () => sink.stats().queued === 0);
    await waitFor("the batch put back, its answers lost", () => sink.stats().queued === 3);
  });
  // Redis runs what was sent before the timeout; the sink, not knowing, appends the batch again.
  await waitFor("the batch appended again", () => sink.stats().appended === 4, 20_000, 100);
  await sink.close();
  const rows = await withIds("s5");
  const versions = rows.map(({ event }) => (event.type === "config.reloaded" ? event.version : -1));
  expect(versions).toEqual([0, 1, 2, 3, 1, 2, 3]);
  // At least once: a consumer that keeps the ids it has seen takes each event once.
  const ids = rows.map(({ id }) => id);
  expect(ids.slice(4)).toEqual(ids.slice(1, 4));
  expect(new Set(ids).size).toBe(4);
});

/** The stream's entries as their `event` and `event_id` fields. */
async function withIds(stream: string): Promise<{ event: GatewayEvent; id: string | undefined }[]> {
  const client = new RedisClient(redis.url);
  try {
    const rows = (await client.send("XRANGE", [stream, "-", "+"])) as [string, string[]][];
    return rows.map(([, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      return { event: JSON.parse(field("event") ?? "null") as GatewayEvent, id: field("event_id") };
    });
  } finally {
    client.close();
  }
}
