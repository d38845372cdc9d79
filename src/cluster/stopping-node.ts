import type { NodeEntry } from "./node-entry.ts";
import { predecessorWorkers } from "./predecessor-entry.ts";

/**
 * Where a node that stops says it still drains, once its successor holds its name and writes the
 * entry under it (name-lease.ts): its entry as it would have written it (instance and draining
 * workers), renewed every beat until it closes, for three heartbeats. The successor keeps the
 * workers it inherited listed, draining, while this stands: the predecessor's drain lasts up to
 * `server.drain_timeout`, far past its last entry's three heartbeats, and without it every other
 * node read their models as served nowhere (a 404) instead of draining (a 503).
 */
export const stoppingKey = (id: string) => `mgw:stopping:${id}`;

/**
 * Whether `entry` (the stopping key's value, read as an entry is: directory-redis.ts `sealedEntry`)
 * is a stopping predecessor's that keeps a successor's inherited workers listed, as long as the key
 * stands (its time to live, on Redis's clock): not for none, this process's own, or one listing no
 * worker this build can read.
 */
export function predecessorStops(entry: NodeEntry | null, instance: string): boolean {
  return entry !== null && entry.instance !== instance && predecessorWorkers(entry) !== null;
}
