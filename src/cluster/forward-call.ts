import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { raceAbort } from "../core/race-abort.ts";
import { readUpstreamReply } from "../providers/http/read-reply.ts";
import type { ProviderCall, ProviderReply } from "../providers/provider.ts";
import { soonerRefusal } from "../workers/gateway/capacity-refusal.ts";
import { isServerFault, modelNotServed, serverFault } from "../workers/gateway/server-fault.ts";
import { SERVED_BY_HEADER } from "../workers/gateway/tunnel-exchange.ts";
import { rankedOverRestart, WorkerReplaced } from "../workers/gateway/tunnel-failures.ts";
import { pathOf, tunnelRequest, workerLabel } from "../workers/gateway/worker-provider.ts";
import { RequestTooLarge, type WorkerTunnel } from "../workers/gateway/worker-tunnel.ts";
import { FORWARD_ERROR_HEADER } from "./forward-endpoint.ts";
import { forwardOverHttp, type PeerHttp, refusal, unreachable } from "./forward-over-http.ts";
import { LINK_VERSION, type NodeEntry } from "./node-entry.ts";
import type { PeerLink, PeerLinks } from "./peer-link.ts";
import { servedByRead } from "./served-by-wire.ts";

// How a call the forwarding provider (forwarding-provider.ts) gives another node gets there and
// back: over the peer link to the node when one is open or opens, over HTTP otherwise, the next
// node serving the model tried when one refuses before answering. Which worker, and on which
// node, is the provider's to choose.

/** The two ways to another node: HTTP (`/cluster/v1/forward`) and, where they are, peer links. */
export interface ForwardWays {
  http: PeerHttp;
  links?: PeerLinks | undefined;
}

/**
 * Forwards to the first of `peers` that answers; `pinned` names the worker on one of them. The
 * caller's `tenant` goes with it: the other node gives the call only to a worker it may use.
 */
export async function forwardCall(
  ways: ForwardWays,
  peers: readonly NodeEntry[],
  call: ProviderCall,
  tenant: string,
  pinned?: { node: string; worker: string },
): Promise<ProviderReply> {
  /** What the caller is told should every node refuse (`soonerRefusal`). */
  let last: unknown;
  /** The pinned worker's loss to a restart, as its node said it (`pinnedRestart`). */
  let restart: GatewayError | undefined;
  for (const peer of peers) {
    const worker = pinned?.node === peer.id ? pinned.worker : undefined;
    let linked: Response | undefined;
    try {
      linked = await overLink(ways.links, peer, call, tenant, worker);
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      // Refused before an answer (no worker there with room, the link or worker lost): the next.
      last = soonerRefusal(last, restartAsLost(error));
      restart ??= pinnedRestart(worker, error);
      if (error instanceof GatewayError && error.retryable) continue;
      throw error;
    }
    if (linked) {
      const servedBy = servedByOf(linked.headers, peer);
      linked.headers.delete(SERVED_BY_HEADER);
      if (isServerFault(linked.status)) {
        // The worker's model server failed (its key refused, a 5xx): that worker's fault, as its
        // node says of it over an HTTP forward (a refusal), so the next node serving the model.
        last = soonerRefusal(last, await serverFault(servedBy, linked).catch((fault: unknown) => fault));
        continue;
      }
      // Its model server does not serve the model the worker offered (404): that worker's fault too.
      const notServed = await modelNotServed(servedBy, linked);
      if (notServed) {
        last = soonerRefusal(last, notServed);
        continue;
      }
      if (call.native) return { kind: "http", response: linked, servedBy };
      const reply = await readUpstreamReply(servedBy, linked, call);
      return { ...reply, servedBy };
    }
    let response: Response;
    try {
      response = await forwardOverHttp(ways.http, peer, call, tenant, worker);
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      last = soonerRefusal(last, unreachable(peer, error));
      continue; // the node is gone (kill -9): the next one that serves the model
    }
    if (response.headers.has(FORWARD_ERROR_HEADER)) {
      const refused = await refusal(response, peer.id);
      if (!refused.retryable) throw refused;
      last = soonerRefusal(last, restartAsLost(refused));
      restart ??= pinnedRestart(worker, refused);
      continue;
    }
    const servedBy = servedByOf(response.headers, peer);
    if (call.native) return { kind: "http", response, servedBy };
    const reply = await readUpstreamReply(servedBy, response, call);
    return { ...reply, servedBy };
  }
  const told = last instanceof GatewayError ? last : upstreamError("no node could serve the forwarded call");
  // Told as every refusal is ranked, whatever the pinned node said: the restart is only the
  // router's to know (`WorkerReplaced`), so that it sends the call to the new connection once, and
  // records the attempt as the restart.
  throw restart ? rankedOverRestart(told, restart) : told;
}

/**
 * The pinned worker's loss, when `refusal` says it (`worker`, named only in the forward to its own
 * node) was lost to a restart under its name (`WorkerReplaced`): its new connection is there to
 * take the call now, and the router sends it there again (routing/worker-repicks.ts) for that
 * alone, once a request. Another node's worker lost so (no worker named) says nothing of the
 * pinned one.
 */
const pinnedRestart = (worker: string | undefined, refusal: unknown): GatewayError | undefined =>
  worker !== undefined && refusal instanceof WorkerReplaced ? refusal.with({}) : undefined;

/**
 * `refusal` as ranked and told when every node refuses: a worker lost to a restart as any worker
 * lost, its class dropped (`with` copies all else). Were the pinned node's ranked first, a caller
 * would be told 502 where another node said come back in a second, once the router had spent its
 * one re-send; and another node's, told as `WorkerReplaced`, would have the router send the call
 * to the pinned worker again (Provider.lostToRestart), whose node never said so.
 */
const restartAsLost = (refusal: unknown): unknown =>
  refusal instanceof WorkerReplaced ? refusal.with({}) : refusal;

/** The link to `peer`, or undefined when it takes none (no links here, a node from before them). */
export function linkTo(links: PeerLinks | undefined, peer: NodeEntry): PeerLink | undefined {
  return links && (peer.linkVersion ?? 0) >= LINK_VERSION ? links.of(peer) : undefined;
}

/**
 * The link's tunnel, opened now if need be; undefined while it cannot be had (the caller goes
 * over HTTP). Throws `unreachable` when its open got no answer (`PeerLink.unanswered`): an HTTP
 * call to the same URL would wait as long as its caller lets it (a route's timeout, a client).
 * A caller that leaves meanwhile (`signal`) is let go at once; the open goes on for the next.
 */
export async function answeredLink(
  peer: NodeEntry,
  link: PeerLink,
  signal: AbortSignal,
): Promise<WorkerTunnel | undefined> {
  const ready = link.ready();
  const tunnel = ready instanceof Promise ? await raceAbort(ready, signal, "reject") : ready;
  const silent = tunnel ? undefined : link.unanswered;
  if (silent) throw unreachable(peer, silent);
  return tunnel;
}

/**
 * The call over the peer link to `peer`, answered as a local worker answers (the head, then
 * the body); undefined when no link can carry it (the node predates links, the link cannot be
 * opened now, the request is larger than a link message), and it goes over HTTP.
 */
async function overLink(
  links: PeerLinks | undefined,
  peer: NodeEntry,
  call: ProviderCall,
  tenant: string,
  worker: string | undefined,
): Promise<Response | undefined> {
  const path = pathOf(call);
  if (!path) return undefined;
  const link = linkTo(links, peer);
  if (!link) return undefined;
  const tunnel = await answeredLink(peer, link, call.signal);
  if (!tunnel) {
    link.sent.http += 1;
    return undefined;
  }
  try {
    const response = await tunnel.open({ ...tunnelRequest(call, path), worker, tenant });
    link.sent.link += 1;
    return response;
  } catch (error) {
    if (!(error instanceof RequestTooLarge)) throw error;
    link.sent.http += 1;
    return undefined;
  }
}

/**
 * Who answered a forward, as the peer's head says (`worker:w1@node-2`); an answer that does not
 * say is named by its node, in the same label form (`worker:unnamed@node-2`), so messages read
 * `worker unnamed@node-2` (providers/upstream-name.ts), never `upstream worker@node-2`.
 */
function servedByOf(headers: Headers, peer: NodeEntry): string {
  const wire = headers.get(SERVED_BY_HEADER);
  return wire === null ? `${workerLabel({ name: "unnamed" })}@${peer.id}` : servedByRead(wire);
}
