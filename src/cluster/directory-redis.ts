import type { RedisClient } from "bun";
import { foreign } from "./cluster-identity.ts";
import type { JsonSeal } from "./json-seal.ts";
import type { EntryWrite } from "./name-lease.ts";
import type { NodeEntry } from "./node-entry.ts";
import { RedisScript } from "./redis-script.ts";
import { stoppingKey } from "./stopping-node.ts";

/** The set of every node's id: each node's entry is under `entryKey`. */
export const NODES = "mgw:nodes";
export const entryKey = (id: string) => `mgw:node:${id}`;
/** Where a node says its workers changed (its id): every other node reads that node's entry at once. */
export const CHANGED_CHANNEL = "mgw:nodes:changed";

/** Without a seal (tests of the directory alone), an entry stands as long as its key does. */
const UNSEALED = Number.POSITIVE_INFINITY;

/**
 * The entry Redis holds under node `id`'s key, with how much longer its seal has it taken (ms), or
 * null when it is no node's: not sealed with `cluster.secret` or sealed too long ago (`seal`:
 * json-seal.ts; none in tests of the directory alone), or another node's: a genuine entry copied
 * under another key would list its node twice, an earlier process's (its URL and workers) beside
 * the live one.
 */
function nodesEntry(
  id: string,
  value: string,
  seal: JsonSeal | undefined,
): { entry: NodeEntry; leftMs: number } | null {
  const opened = seal ? seal.openLeft(value) : { json: value, leftMs: UNSEALED };
  if (opened === null) return null;
  let entry: unknown;
  try {
    entry = JSON.parse(opened.json);
  } catch {
    // Only unsealed (a test's): what the secret seals is a node's JSON.
    return null;
  }
  if (typeof entry !== "object" || entry === null || !("id" in entry) || entry.id !== id) return null;
  return { entry: entry as NodeEntry, leftMs: opened.leftMs };
}

/**
 * As `nodesEntry`, and null too when another cluster stamped it (cluster-identity.ts). Every value
 * a node reads as an entry is read so: the others' every beat, and the one left under its own name
 * as it starts (or its predecessor's `mgw:stopping:<id>`), whose workers it lists, draining, for
 * as long as the key stands (within `leftMs`).
 */
export function sealedEntry(
  id: string,
  value: string,
  clusterId: string | undefined,
  seal: JsonSeal | undefined,
): { entry: NodeEntry; leftMs: number } | null {
  const read = nodesEntry(id, value, seal);
  return read === null || (clusterId !== undefined && foreign(read.entry.cluster, clusterId)) ? null : read;
}

/** `sealedEntry`'s entry alone. */
export const entryIfOurs = (
  id: string,
  value: string,
  clusterId: string | undefined,
  seal: JsonSeal | undefined,
): NodeEntry | null => sealedEntry(id, value, clusterId, seal)?.entry ?? null;

/**
 * Takes ids off the directory's set (`KEYS[1]`), each (`ARGV[2i-2]`) only while its key (`KEYS[i]`)
 * still holds what the reader read (`ARGV[2i-1]`, empty for none): a node that wrote its entry again
 * (and listed itself) since stays listed. A value still held is taken off only when it stands longer
 * than any node's entry may (no expiry, or more than `ARGV[1]` ms): one that will expire is left to,
 * as an earlier release's, which this build reads as none (unsealed) but whose nodes still read each
 * other by this set during a rolling upgrade.
 */
const UNLIST = new RedisScript(`local longest = tonumber(ARGV[1])
for i = 2, #KEYS do
  local held = redis.call('GET', KEYS[i]) or ''
  if held == ARGV[2 * i - 1] then
    local ttl = redis.call('PTTL', KEYS[i])
    if held == '' or ttl == -1 or ttl > longest then redis.call('SREM', KEYS[1], ARGV[2 * i - 2]) end
  end
end
return 0`);

/**
 * The entries of the nodes `ids` lists, those of this cluster. An id whose entry expired is taken
 * off the directory's set, and so is one whose entry is no node's (`nodesEntry`: a copy under
 * another key, forged, stale) and stands longer than a node's may (`UNLIST`): written without
 * expiry by whoever reaches Redis, it was read and dropped at every beat for good. Another cluster's
 * entry stays listed: its own nodes read it.
 */
export async function readEntries(
  client: RedisClient,
  ids: readonly string[],
  clusterId: string | undefined,
  seal: JsonSeal | undefined,
): Promise<NodeEntry[]> {
  if (ids.length === 0) return [];
  const values = (await client.send("MGET", ids.map(entryKey))) as (string | null)[];
  const entries: NodeEntry[] = [];
  const keys: string[] = [NODES];
  // A node's entry expires three of ITS heartbeats after its write, within the longest any reader takes
  // a seal (cluster-directory.ts: MAX_SEAL_VALIDITY_MS), never this reader's own heartbeat's bound.
  const unlisted: string[] = [String(seal?.maxAgeMs ?? Number.MAX_SAFE_INTEGER)];
  ids.forEach((id, i) => {
    const value = values[i] ?? null;
    const entry = value === null ? null : (nodesEntry(id, value, seal)?.entry ?? null);
    if (entry === null) {
      keys.push(entryKey(id));
      unlisted.push(id, value ?? "");
    } else if (clusterId === undefined || !foreign(entry.cluster, clusterId)) entries.push(entry);
  });
  if (keys.length > 1) await UNLIST.run(client, keys, unlisted);
  return entries;
}

/** How long a node's directory entry stands after its last write: three of its heartbeats. */
export const entryTtlMs = (heartbeatMs: number): number => heartbeatMs * 3;

/** How a node's `entry` is written (sealed, given a `seal`), with the renewal of its name (name-lease.ts). */
export function entryWrite(entry: NodeEntry, heartbeatMs: number, seal: JsonSeal | undefined): EntryWrite {
  return {
    key: entryKey(entry.id),
    value: sealedJson(entry, seal),
    ttlMs: entryTtlMs(heartbeatMs),
    set: NODES,
    member: entry.id,
  };
}

/**
 * The node drains while its successor holds the name (stopping-node.ts): the successor keeps
 * the workers it inherited listed while this stands, three heartbeats past this write. Sealed as
 * the entry is: the successor reads it as one (`sealedEntry`).
 */
export async function sayStopping(
  client: RedisClient,
  entry: NodeEntry,
  heartbeatMs: number,
  seal: JsonSeal | undefined,
): Promise<void> {
  await client.send("SET", [stoppingKey(entry.id), sealedJson(entry, seal), "PX", String(heartbeatMs * 3)]);
}

/** `entry` as Redis holds it: sealed, given a `seal`. */
function sealedJson(entry: NodeEntry, seal: JsonSeal | undefined): string {
  const json = JSON.stringify(entry);
  return seal ? seal.seal(json) : json;
}
