import { expect, test } from "bun:test";
import { ConfigError } from "./config-error.ts";
import { parseConfig } from "./load-config.ts";

// A node's sealed directory entry is taken by the others for three of its heartbeats plus its
// redis_timeout plus a second, at most an hour (src/cluster/json-seal.ts): a node whose bound
// passed the hour was read as gone an hour after each of its writes, its workers unrouted from
// every other node until its next, and nothing said why.

const cluster = {
  redis_url: "redis://10.0.0.5:6379",
  advertise_url: "http://10.0.0.7:8080",
  secret: "0123456789abcdef",
};
const postgres = { driver: "postgres", url: "postgres://db/mindgw" };
const withCluster = (settings: Record<string, unknown>) => ({
  storage: postgres,
  cluster: { ...cluster, ...settings },
});

/** The problems a document is refused with. */
function problems(document: unknown): readonly string[] {
  try {
    parseConfig(document, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

test("a cluster.heartbeat whose three beats, with redis_timeout's default and a second, pass an hour is refused, naming the field and its most", () => {
  for (const [tooLong, shown] of [
    ["20m", "20m"],
    ["1200s", "20m"],
    ["2h", "2h"],
  ])
    expect(problems(withCluster({ heartbeat: tooLong }))).toEqual([
      `cluster.heartbeat: at most 1199s (19 min 59 s): the other nodes take a node's directory entry for three of its heartbeats, its redis_timeout and 1 s, never more than an hour; got ${shown}`,
    ]);
});

test('the longest heartbeat within the hour is taken, and a redis_timeout of 30 days beside it (how "no bound" is written where 0 is refused)', () => {
  const settings = parseConfig(withCluster({ heartbeat: "1199s", redis_timeout: "30d" }), {}).cluster;
  expect(settings?.heartbeat).toBe(1_199_000);
  expect(settings?.redis_timeout).toBe(30 * 86_400_000);
});
