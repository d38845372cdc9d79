import type { Lifecycle } from "../http/lifecycle.ts";

/** What a node's forwarded calls need of its lifecycle: to be counted in flight, and let go. */
export type DrainCount = Pick<Lifecycle, "enter" | "leave">;

/**
 * A call forwarded here from another node (over a peer link or HTTP), counted among this node's
 * requests in flight: a drain (SIGTERM) waits for it as it waits for a client's own, rather than
 * closing the worker under it. Undefined when this node takes nothing new (draining, or at
 * `server.max_concurrent_requests`): the calling node then tries elsewhere. The release is safe
 * to call more than once.
 */
export function holdWhileRunning(lifecycle: DrainCount | undefined): (() => void) | undefined {
  if (!lifecycle) return () => {};
  if (lifecycle.enter() !== undefined) return undefined;
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    lifecycle.leave();
  };
}
