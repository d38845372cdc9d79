import type { RedisClient } from "bun";
import { RedisScript } from "./redis-script.ts";

/**
 * Where a cluster claims its Redis database: its id (from its PostgreSQL database, never anything
 * of `cluster.secret`), with the node that last renewed it. Sticky: it lasts a day past the last
 * renewal, so no pause of Redis, failover or slow fork frees it for another cluster's first beat; a
 * cluster that leaves the database for good leaves it claimed a day (`DEL mgw:cluster` frees it).
 */
export const CLUSTER_KEY = "mgw:cluster";

/** How long a claim outlives its last renewal. */
export const CLAIM_TTL_MS = 24 * 60 * 60 * 1000;

/** What the claim holds: whose it is, and which node of it renewed it last (named in a refusal). */
export interface ClaimHolder {
  cluster: string;
  node: string;
  url: string;
}

/**
 * Takes the key for cluster `ARGV[3]` (or renews it), writing `ARGV[1]`, unless another cluster holds it: then
 * answers what that one holds, else nil. A value this build cannot read is another's.
 */
const CLAIM = new RedisScript(`local held = redis.call('GET', KEYS[1])
if held then
  local ok, claim = pcall(cjson.decode, held)
  if not ok or type(claim) ~= 'table' or claim.cluster ~= ARGV[3] then return held end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`);

/** A cluster's claim on its Redis database, as one of its nodes makes it. */
export class ClusterClaim {
  private readonly value: string;

  constructor(readonly self: ClaimHolder) {
    this.value = JSON.stringify(self);
  }

  /** Claims (or renews) the database: null when it is this cluster's, else why it is not. */
  async check(client: RedisClient): Promise<string | null> {
    const held = await CLAIM.run(
      client,
      [CLUSTER_KEY],
      [this.value, String(CLAIM_TTL_MS), this.self.cluster],
    );
    return typeof held === "string" ? this.refusal(held) : null;
  }

  /**
   * Why the database is not this cluster's, naming the holder (the Redis URL left out: it may hold a
   * password). Whatever the key holds is anyone's to write: each part of it named is cut short, and
   * quoted unless plainly printable, so no value can fill or forge lines of the log.
   */
  private refusal(held: string): string {
    let holder: Partial<Record<keyof ClaimHolder, unknown>> = {};
    try {
      const parsed: unknown = JSON.parse(held);
      if (parsed !== null && typeof parsed === "object") holder = parsed;
    } catch {
      // Not a claim of this build: named as it is.
    }
    const { cluster, node, url } = holder;
    const who =
      typeof cluster === "string"
        ? `cluster ${shown(cluster)}, renewed by its node ${shown(node)} at ${shown(url)}`
        : `it holds ${quoted(held)} under ${CLUSTER_KEY}`;
    return `the Redis database of cluster.redis_url is another cluster's (${who}; this node's cluster is ${this.self.cluster}, from its PostgreSQL database): give each cluster a Redis server of its own, or, once that cluster has left it, free it with DEL ${CLUSTER_KEY}`;
  }
}

/** How much of a value read from the claim a refusal names. */
const SHOWN_CHARS = 80;

/** A part of a claim, bare when it is a short string of printable ASCII without spaces, else quoted. */
function shown(value: unknown): string {
  if (typeof value !== "string") return quoted(JSON.stringify(value) ?? "none");
  return value.length <= SHOWN_CHARS && /^[\x21-\x7e]+$/.test(value) ? value : quoted(value);
}

/** A value cut to `SHOWN_CHARS` and quoted (control characters and quotes escaped), saying if it was cut. */
function quoted(value: string): string {
  const cut = value.length > SHOWN_CHARS;
  return `${JSON.stringify(value.slice(0, SHOWN_CHARS))}${cut ? ` (${value.length} characters, cut)` : ""}`;
}

/** Why a node does not start: its Redis database is another cluster's. */
export class ClusterDatabaseTaken extends Error {}
