import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { makeRecord } from "../audit/audit-fixture.ts";
import { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { withoutBodies } from "../audit/published-record.ts";
import { EventRelay } from "./event-relay.ts";
import { relaySeal } from "./json-seal.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
/** Redis's time as the nodes read it: moved by the tests. */
let redisNow = 1_700_000_000_000;
const seal = relaySeal("cluster-secret-0123456789", {
  now: () => redisNow,
  validForMs: 6_000,
  maxAgeMs: 6_000,
});
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/**
 * A relay of node `ours-1` of cluster `ours`, with a live-stream reader: the request ids it was
 * given. `refusal`: the link's Redis database is not this cluster's (its vouch says why).
 */
async function watchingRelay(refusal: string | null = null) {
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => refusal });
  expect(await link.start()).toBe(refusal === null);
  const bus = new EventBus();
  const read: string[] = [];
  const reader = bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  const relay = new EventRelay({ link, nodeId: "ours-1", clusterId: "ours", bus, seal });
  return {
    relay,
    read,
    close() {
      reader.close();
      relay.close();
      link.close();
    },
  };
}

/** What a node publishes on the channel, sealed: `cluster` absent for a node of the release before stamps. */
function message(node: string, requestId: string, cluster?: string): string {
  const event: GatewayEvent = {
    type: "request.finished",
    at: 0,
    record: withoutBodies(makeRecord({ requestId })),
  };
  const stamp = cluster === undefined ? {} : { cluster };
  return seal.seal(JSON.stringify({ id: crypto.randomUUID(), ...stamp, node, events: [event] }));
}

test("a relayed message is taken stamped by this cluster; not another cluster's, nor an unstamped one (a release before stamps, whose messages are unsealed too), even from a node the directory lists", async () => {
  const { relay, read, close } = await watchingRelay();
  try {
    relay.observe([{ id: "old-1", url: "http://old-1.invalid", at: 0, workers: [] }]);
    relay.received(message("ours-2", "stamped-ours", "ours"));
    relay.received(message("theirs-1", "stamped-theirs", "theirs"));
    relay.received(message("old-1", "unstamped-of-our-directory"));
    expect(read).toEqual(["stamped-ours"]);
  } finally {
    close();
  }
});

test("a message is delivered once: not again when published again, nor once sealed longer ago than the seal's bound, nor unsealed", async () => {
  const { relay, read, close } = await watchingRelay();
  const sealedAt = redisNow;
  try {
    const genuine = message("ours-2", "genuine", "ours");
    relay.received(genuine);
    relay.received(genuine);
    const late = message("ours-2", "late", "ours");
    redisNow += 6_001;
    relay.received(late);
    relay.received(seal.open(message("ours-2", "unsealed", "ours")) ?? "");
    expect(read).toEqual(["genuine"]);
  } finally {
    redisNow = sealedAt;
    close();
  }
});

test("none is taken while the Redis database is not this cluster's, not even one stamped by this cluster", async () => {
  const { relay, read, close } = await watchingRelay(
    "the Redis database of cluster.redis_url is another cluster's",
  );
  try {
    relay.received(message("ours-2", "stamped-ours", "ours"));
    expect(read).toEqual([]);
  } finally {
    close();
  }
});

test("a directory read that lands after the relay closed (the node stopping) taps nothing and starts no timer: the bus is left untapped", () => {
  const bus = new EventBus();
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => null });
  const relay = new EventRelay({ link, nodeId: "ours-1", clusterId: "ours", bus, seal });
  const watcher = { id: "ours-2", url: "http://ours-2.invalid", at: 0, workers: [], watching: true };
  try {
    relay.observe([watcher]);
    expect(bus.wants("request.finished")).toBe(true);
    relay.close();
    expect(bus.wants("request.finished")).toBe(false);
    relay.observe([watcher]);
    expect(bus.wants("request.finished")).toBe(false);
  } finally {
    relay.close();
    link.close();
  }
});
