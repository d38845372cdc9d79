import { modelsOn, nodesServing, whyNoneOn } from "../directory-workers.ts";
import type { NodeDirectory } from "../node-directory.ts";
import type { NodeEntry } from "../node-entry.ts";

/** What forwarding reads of the node directory, over a fixed list of other nodes, read as NodeDirectory reads it. */
export function listedDirectory(
  peers: readonly NodeEntry[],
): Pick<NodeDirectory, "peers" | "peersServing" | "peerModels" | "whyNone"> {
  return {
    peers: () => [...peers],
    peersServing: (model, tenant) => nodesServing(peers, model, tenant),
    whyNone: (model, tenant) => whyNoneOn(peers, model, tenant),
    peerModels: (tenant) => modelsOn(peers, tenant),
  };
}
