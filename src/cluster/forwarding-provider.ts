import { DEFAULT_TENANT, servesTenant } from "../config/tenant-config.ts";
import type {
  Provider,
  ProviderCall,
  ProviderReply,
  ForwardRequest as StoredForward,
} from "../providers/provider.ts";
import { workerOfName } from "../providers/upstream-name.ts";
import { onlyBusy, soonerOver } from "../workers/gateway/capacity-refusal.ts";
import {
  isOwnFault,
  lostToRestart,
  noWorkerTakes,
  workerLabel,
  workerNames,
} from "../workers/gateway/worker-provider.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { type PeerWorker, takesCall } from "./directory-workers.ts";
import { answeredLink, type ForwardWays, forwardCall, linkTo } from "./forward-call.ts";
import { forwardStored, type PeerHttp } from "./forward-over-http.ts";
import type { NodeDirectory } from "./node-directory.ts";
import type { NodeEntry } from "./node-entry.ts";
import type { PeerLinks } from "./peer-link.ts";

export interface ForwardingOptions {
  /** The node's own `workers` provider. */
  local: Provider;
  registry: WorkerRegistry;
  /** What the node directory last read: the other nodes and the workers each holds. */
  directory: Pick<NodeDirectory, "peers" | "peersServing" | "peerModels" | "whyNone">;
  secret: string;
  fetch?: typeof fetch;
  /**
   * Peer links to the other nodes (peer-link.ts): a forwarded call goes over the link to its
   * node when one is open or opens, over HTTP (`/cluster/v1/forward`) otherwise.
   */
  links?: PeerLinks;
}

/**
 * `provider: workers` on a cluster node: a worker connected here serves the call; else the call
 * goes to the node holding a worker for the model (least loaded first, the next one if that node
 * is gone or refuses before answering). The forwarded answer is read with the same code as any
 * upstream's, so streaming, cancellation (the call's signal aborts the forward), timeouts and
 * failover behave as for a local worker; `servedBy` is `worker:<name>@<node>`.
 *
 * Before a call is adapted the router narrows it to one worker (`select`), here or on another
 * node, as the node directory lists them with what each announced: a worker on another node
 * whose upstream serves the Responses API gets Responses calls natively, under the same name
 * (`worker:<name>`) as on its own node, so a chain it holds stays with it from any node, and
 * reads and deletes of what it holds reach it through its node (`holder`).
 */
export function createForwardingProvider(options: ForwardingOptions): Provider {
  const http: PeerHttp = { send: options.fetch ?? fetch, secret: options.secret };
  const ways: ForwardWays = { http, links: options.links };
  const { registry, directory, local } = options;

  /**
   * One worker on another node as a provider, named as on its own node. Should its node be gone
   * or refuse, a call that any worker can serve goes on to the next node serving the model, as
   * before a worker was chosen; a Responses call was adapted to this worker and stays with it.
   */
  function remote(peer: NodeEntry, worker: PeerWorker, tenant: string): Provider {
    return {
      name: workerLabel(worker),
      // A call that fails or is cancelled before an answer names the worker and node it went to,
      // as an answered one does (its node's `servedBy`).
      servedBy: `${workerLabel(worker)}@${peer.id}`,
      dialect: "openai",
      passThrough: true,
      ...(worker.responsesApi
        ? {
            responsesApi: true,
            // Over HTTP, but only to a node whose link (opened for this if need be) is answered.
            forward: async (request: StoredForward) => {
              const link = linkTo(options.links, peer);
              if (link) await answeredLink(peer, link, request.signal);
              return forwardStored(http, peer, worker.name, tenant, request);
            },
          }
        : {}),
      // Its model server down is the worker's own fault, come back over the link or the HTTP
      // forward as on its own node: not the route's, whose breaker covers every worker of the model.
      ownFault: isOwnFault,
      // Its node lost its connection to a newer one under its name (a restart): that one may take
      // the call, through the same node, which sends a call naming the worker to whoever holds it.
      lostToRestart,
      call(call) {
        const model = typeof call.body.model === "string" ? call.body.model : "";
        const others =
          call.operation === "responses"
            ? []
            : directory.peersServing(model, tenant).filter((other) => other.id !== peer.id);
        return forwardCall(ways, [peer, ...others], call, tenant, {
          node: peer.id,
          worker: worker.name,
        });
      },
    };
  }

  /**
   * The node and entry of a worker named `name` on another node taking a call for `model` from a
   * caller of `tenant` (with room, not draining).
   */
  function peerWorkerTaking(
    name: string,
    tenant: string,
    model: string,
  ): [NodeEntry, PeerWorker] | undefined {
    for (const peer of directory.peersServing(model, tenant)) {
      const worker = peer.workers.find((w) => w.name === name && takesCall(w, model, tenant));
      if (worker) return [peer, worker];
    }
    return undefined;
  }

  /**
   * The node and entry of a worker named `name` on another node that a caller of `tenant` may use:
   * where it is connected. A worker that moved from a stopping node is listed twice, there still
   * (closed, so that no node reads its models as served nowhere) and where it registered since, in
   * no set order: a closed listing is never its holder, and one where it serves is preferred to one
   * draining or on a stopping node (which still holds it while its drain runs).
   */
  function peerHolder(name: string, tenant: string): [NodeEntry, PeerWorker] | undefined {
    let best: [NodeEntry, PeerWorker] | undefined;
    let bestDoubt = Number.POSITIVE_INFINITY;
    for (const peer of directory.peers()) {
      const worker = peer.workers.find(
        (w) => w.name === name && w.closed !== true && servesTenant(w, tenant),
      );
      if (!worker) continue;
      const doubt = (peer.stopping === true ? 2 : 0) + (worker.draining === true ? 1 : 0);
      if (doubt === 0) return [peer, worker];
      if (doubt < bestDoubt) [best, bestDoubt] = [[peer, worker], doubt];
    }
    return best;
  }

  function select(
    model: string,
    holder: string | undefined,
    tenant: string,
    avoid?: ReadonlySet<string>,
  ): Provider {
    const held = workerOfName(holder);
    // The worker holding the chain, where it is connected; else a worker here; else the least
    // loaded node's least loaded worker for the model (of those the caller's tenant may use).
    if (held !== undefined && registry.get(held) === undefined) {
      const found = peerWorkerTaking(held, tenant, model);
      if (found) return remote(...found, tenant);
    }
    // A worker here the request has not failed on (`avoid`), else one on a peer.
    const failed = avoid && workerNames(avoid);
    if (registry.pick(model, tenant, undefined, 0, failed) !== undefined || !local.select)
      return local.select?.(model, holder, tenant, avoid) ?? local;
    const [peer] = directory.peersServing(model, tenant);
    const worker = peer?.workers
      .filter((w) => takesCall(w, model, tenant))
      .sort((a, b) => b.capacity - b.inFlight - (a.capacity - a.inFlight))[0];
    if (peer && worker) return remote(peer, worker, tenant);
    noneElsewhere(model, tenant, failed);
    return local.select(model, holder, tenant, avoid);
  }

  /**
   * A shadow copy's worker (Provider.spare), never a last free slot: one here that keeps a slot
   * free beside the copy's, else another node's with two free as the directory last said (a
   * heartbeat ago: room it may since have lost, so one more kept), else none (undefined: the copy
   * is shed). This node's workers full or draining are no reason to shed it while another node's
   * has room. A model no worker serves anywhere is the local provider's to refuse.
   */
  function spare(model: string, tenant: string): Provider | undefined {
    const servedHere = registry.serves(model, tenant);
    const here = servedHere ? local.spare?.(model, tenant) : undefined;
    if (here) return here;
    const [peer] = directory.peersServing(model, tenant);
    const worker = peer?.workers
      .filter((w) => takesCall(w, model, tenant, 1))
      .sort((a, b) => b.capacity - b.inFlight - (a.capacity - a.inFlight))[0];
    if (peer && worker) return remote(peer, worker, tenant);
    if (servedHere || directory.peerModels(tenant).includes(model)) return undefined;
    return local.spare?.(model, tenant);
  }

  /**
   * No worker here takes the call (none serves it, each drains or is full; those in `failed`, which
   * the request already failed on, are none of them), nor, as the directory last said (a heartbeat
   * ago at most), another node's. The caller is told the reason sooner over, as of one node's
   * workers (`soonerOver`): thrown here when it is the other nodes' (full there while this node's
   * drain: come back in a second, not in 5 s; busy or draining there while none serves it here,
   * never "no connected worker serves" for a worker that is connected), else this node's workers'
   * refusal is the caller's, in its own words.
   */
  function noneElsewhere(model: string, tenant: string, failed?: ReadonlySet<string>): void {
    const here = registry.whyNone(model, tenant, failed);
    const there = directory.whyNone(model, tenant);
    if (soonerOver(here, there) !== here)
      throw noWorkerTakes(model, there, " (as other nodes last reported)");
  }

  /** A call no caller's tenant narrowed (`select`): the platform's workers only, as a local one's. */
  async function call(call: ProviderCall): Promise<ProviderReply> {
    const model = typeof call.body.model === "string" ? call.body.model : "";
    const tenant = DEFAULT_TENANT;
    const peers = registry.pick(model, tenant) === undefined ? directory.peersServing(model, tenant) : [];
    if (peers.length === 0) {
      noneElsewhere(model, tenant);
      return local.call(call);
    }
    return forwardCall(ways, peers, call, tenant);
  }

  return {
    name: "workers",
    dialect: "openai",
    passThrough: true,
    select,
    spare,
    holder(name, tenant) {
      const here = local.holder?.(name, tenant);
      const held = workerOfName(name);
      if (here || held === undefined) return here;
      const found = peerHolder(held, tenant);
      return found ? remote(...found, tenant) : undefined;
    },
    onlyBusy,
    call,
    listModels: async () => [...new Set([...registry.models(), ...directory.peerModels()])],
  };
}
