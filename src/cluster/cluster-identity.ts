import { createHash } from "node:crypto";
import type { RedisClient } from "bun";

/**
 * Where a cluster claims its Redis database: the id of the cluster whose nodes use it, renewed by
 * every node's heartbeat and gone three heartbeats after the last node stops (so a cluster whose
 * `cluster.secret` changed, or that moved, claims it again once the old one has gone).
 */
export const CLUSTER_KEY = "mgw:cluster";

/**
 * The cluster's identity: a digest of `cluster.secret`, which every node of a cluster shares and
 * is required to hold. It is what makes nodes one cluster already (a node trusts a peer link, a
 * forward and a config fingerprint only under that secret), so two clusters sharing one are one to
 * mindgw; a digest, so Redis never holds the secret, nor anything to test a guess of it cheaper
 * than the config fingerprint already allows.
 */
export function clusterIdOf(secret: string): string {
  return createHash("sha256").update(`mindgw cluster id\n${secret}`).digest("hex").slice(0, 16);
}

/**
 * A message or entry stamped by another cluster. Pub/sub channels are server-wide, whatever the
 * database index, so a stamp is what keeps one cluster's messages out of another's. Unstamped
 * (`undefined`): a node of the release before stamps, accepted during a rolling upgrade.
 */
export const foreign = (stamp: unknown, clusterId: string): boolean =>
  stamp !== undefined && stamp !== clusterId;

/**
 * A notice's JSON body (a config change's, a key change's), for its stamp and sender; null when it
 * is no JSON object: a key change from a release before stamps, which published the key's id bare.
 */
export function noticeOf(message: string): { cluster?: unknown; node?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed !== null && typeof parsed === "object" ? parsed : null;
  } catch {
    return null;
  }
}

/** Takes the key for `ARGV[1]` unless another id holds it; answers that id, or nil when taken. */
const CLAIM = `local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Claims (or renews) the database for `clusterId`: null when it is ours, else the id that holds it. */
export async function claimDatabase(
  client: RedisClient,
  clusterId: string,
  ttlMs: number,
): Promise<string | null> {
  const held = (await client.send("EVAL", [CLAIM, "1", CLUSTER_KEY, clusterId, String(ttlMs)])) as
    | string
    | null;
  return typeof held === "string" ? held : null;
}

/** Why a node does not start: its Redis database is another cluster's (the URL left out: it may hold a password). */
export class ClusterDatabaseTaken extends Error {
  constructor(held: string, clusterId: string) {
    super(
      `the Redis database of cluster.redis_url is another cluster's (cluster id ${held}; this node's is ${clusterId}, from its cluster.secret): give each cluster a Redis database of its own (redis://host:6379/1), and every node of one cluster the same cluster.secret`,
    );
  }
}
