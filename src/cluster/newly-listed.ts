import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import type { NodeEntry } from "./node-entry.ts";

/** The models a worker on another node has newly begun to serve: the node holding it, its name and tenant. */
export interface NewlyServed {
  node: string;
  worker: string;
  /** Its tenant's callers (and, for the default tenant's, everyone's) may be routed to it. */
  tenant: string;
  models: string[];
}

/**
 * What other nodes' workers have newly begun to serve, as this node reads the directory: at each
 * read, the models a worker (by node and name) is listed serving that it was not at the read
 * before — a worker new to the directory, one back after its connection ended (gone from a read
 * between), one whose key's models were widened. As a worker registering on this node does
 * (worker-registry-options.ts `newlyServed`), so that its model's breaker here lets the next request probe
 * it (cluster-directory.ts); and as there, once a registration: a worker listed alike at every renewal
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
      for (const worker of peer.workers) {
        if (worker.draining === true) continue;
        const key = `${peer.id}\n${worker.name}`;
        served.set(key, worker.models);
        const before = this.served.get(key) ?? [];
        const models = worker.models.filter((model) => !before.includes(model));
        if (models.length > 0)
          newly.push({ node: peer.id, worker: worker.name, tenant: worker.tenant ?? DEFAULT_TENANT, models });
      }
    }
    this.served = served;
    return newly;
  }
}
