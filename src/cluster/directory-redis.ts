import type { RedisClient } from "bun";
import { foreign } from "./cluster-identity.ts";
import type { JsonSeal } from "./json-seal.ts";
import type { EntryWrite } from "./name-lease.ts";
import type { NodeEntry } from "./node-entry.ts";
import { stoppingKey } from "./stopping-node.ts";

/** The set of every node's id: each node's entry is under `entryKey`. */
export const NODES = "mgw:nodes";
export const entryKey = (id: string) => `mgw:node:${id}`;
/** Where a node says its workers changed (its id): every other node reads that node's entry at once. */
export const CHANGED_CHANNEL = "mgw:nodes:changed";

/**
 * An entry as Redis holds it under node `id`'s key; null when another cluster stamped it
 * (cluster-identity.ts), when it is not sealed with `cluster.secret` or was sealed too long ago
 * (`seal`: json-seal.ts; none in tests of the directory alone), or when it is another node's: a
 * genuine entry copied under another key would list its node twice, an earlier process's (its URL
 * and workers) beside the live one.
 */
export function entryIfOurs(
  id: string,
  value: string,
  clusterId: string | undefined,
  seal: JsonSeal | undefined,
): NodeEntry | null {
  const json = seal ? seal.open(value) : value;
  if (json === null) return null;
  const entry = JSON.parse(json) as NodeEntry;
  return entry.id !== id || (clusterId !== undefined && foreign(entry.cluster, clusterId)) ? null : entry;
}

/**
 * The entries of the nodes `ids` lists, those of this cluster: the ids whose entries expired are
 * taken off the directory's set.
 */
export async function readEntries(
  client: RedisClient,
  ids: readonly string[],
  clusterId: string | undefined,
  seal: JsonSeal | undefined,
): Promise<NodeEntry[]> {
  if (ids.length === 0) return [];
  const values = (await client.send("MGET", ids.map(entryKey))) as (string | null)[];
  const gone = ids.filter((_, i) => values[i] === null);
  if (gone.length > 0) await client.send("SREM", [NODES, ...gone]);
  return ids.flatMap((id, i) => {
    const value = values[i] ?? null;
    const read = value === null ? null : entryIfOurs(id, value, clusterId, seal);
    return read === null ? [] : [read];
  });
}

/** How a node's `entry` is written (sealed, given a `seal`), with the renewal of its name (name-lease.ts). */
export function entryWrite(entry: NodeEntry, heartbeatMs: number, seal: JsonSeal | undefined): EntryWrite {
  const json = JSON.stringify(entry);
  return {
    key: entryKey(entry.id),
    value: seal ? seal.seal(json) : json,
    ttlMs: heartbeatMs * 3,
    set: NODES,
    member: entry.id,
  };
}

/**
 * The node drains while its successor holds the name (stopping-node.ts): the successor keeps
 * the workers it inherited listed while this stands, three heartbeats past this write.
 */
export async function sayStopping(client: RedisClient, entry: NodeEntry, heartbeatMs: number): Promise<void> {
  await client.send("SET", [stoppingKey(entry.id), JSON.stringify(entry), "PX", String(heartbeatMs * 3)]);
}
