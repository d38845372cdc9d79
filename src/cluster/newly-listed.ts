import type { NodeEntry } from "./node-directory.ts";

/** A model some worker on another node has newly begun to serve, by the node holding it. */
export interface NewlyServed {
  node: string;
  models: string[];
}

/**
 * What other nodes' workers have newly begun to serve, as this node reads the directory: at each
 * read, the models a worker (by node and name) is listed serving that it was not at the read
 * before — a worker new to the directory, one back after its connection ended (gone from a read
 * between), one whose key's models were widened. As a worker registering on this node does
 * (worker-registry.ts `newlyServed`), so that its model's breaker here lets the next request probe
 * it (start-cluster.ts); and as there, once a registration: a worker listed alike at every renewal
 * serves nothing new, nor one that replaced its own connection between two reads, and a draining
 * one serves nothing (no node chooses it).
 */
export class NewlyListed {
  /** Each worker's models as the read before listed them, by node and name. */
  private served = new Map<string, readonly string[]>();

  /** The other nodes' entries as read now: what their workers newly serve, node by node. */
  read(peers: readonly NodeEntry[]): NewlyServed[] {
    const served = new Map<string, readonly string[]>();
    const newly: NewlyServed[] = [];
    for (const peer of peers) {
      const models = new Set<string>();
      for (const worker of peer.workers) {
        if (worker.draining === true) continue;
        const key = `${peer.id}\n${worker.name}`;
        served.set(key, worker.models);
        const before = this.served.get(key) ?? [];
        for (const model of worker.models) if (!before.includes(model)) models.add(model);
      }
      if (models.size > 0) newly.push({ node: peer.id, models: [...models] });
    }
    this.served = served;
    return newly;
  }
}
