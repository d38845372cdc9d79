import { servesTenant } from "../config/tenant-config.ts";
import { soonerOver } from "../workers/gateway/capacity-refusal.ts";
import type { NoWorker } from "../workers/gateway/no-worker.ts";
import type { NodeEntry } from "./node-entry.ts";

/** A worker as another node's directory entry lists it. */
export type PeerWorker = NodeEntry["workers"][number];

/**
 * Whether a listed worker takes a new call for `model` from a caller of `tenant`, with `keepFree`
 * of its slots still free once the call has one (a shadow copy's 1), as the registry picks this
 * node's own (worker-registry.ts `pick`): a draining one takes none, whatever its room.
 */
export const takesCall = (worker: PeerWorker, model: string, tenant: string, keepFree = 0): boolean =>
  worker.draining !== true &&
  worker.inFlight + keepFree < worker.capacity &&
  worker.models.includes(model) &&
  servesTenant(worker, tenant);

/** Of `nodes`, those with a worker that takes a call for `model` from a caller of `tenant`, most free slots first. */
export function nodesServing(nodes: readonly NodeEntry[], model: string, tenant: string): NodeEntry[] {
  const free = (node: NodeEntry) => {
    let slots = 0;
    for (const w of node.workers) if (takesCall(w, model, tenant)) slots += w.capacity - w.inFlight;
    return slots;
  };
  return nodes.filter((node) => free(node) > 0).sort((a, b) => free(b) - free(a));
}

/**
 * Why no worker of `nodes` takes a call for `model` from a caller of `tenant`, asked once
 * `nodesServing` found none, as the registry says it of this node's (`WorkerRegistry.whyNone`): the
 * reason sooner over (`soonerOver`), a full one before a draining one.
 */
export function whyNoneOn(nodes: readonly NodeEntry[], model: string, tenant: string): NoWorker {
  let why: NoWorker = "not_served";
  for (const node of nodes)
    for (const w of node.workers)
      if (w.models.includes(model) && servesTenant(w, tenant))
        why = soonerOver(why, w.draining === true ? "draining" : "full");
  return why;
}

/**
 * Models the workers of `nodes` serve, to a caller of `tenant` or to anyone when none is given:
 * a draining worker's too, which still exist (a caller is told to come back, never that they are not there).
 */
export function modelsOn(nodes: readonly NodeEntry[], tenant?: string): string[] {
  const models = new Set<string>();
  for (const node of nodes)
    for (const w of node.workers) if (servesTenant(w, tenant)) for (const m of w.models) models.add(m);
  return [...models];
}
