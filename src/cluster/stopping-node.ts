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
 * Whether `text` (the stopping key's value) is a stopping predecessor's that keeps a successor's
 * inherited workers listed, as long as the key stands (its time to live, on Redis's clock): not for
 * none, this process's own, or a value this build cannot read.
 */
export function predecessorStops(text: string | null, instance: string): boolean {
  if (text === null) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value === "object" && value !== null && "instance" in value && value.instance === instance)
    return false;
  return predecessorWorkers(text) !== null;
}
