import type { WorkerSummary } from "../audit/gateway-event.ts";
import { steadyClock } from "../core/steady-clock.ts";

/** What one node publishes about itself every heartbeat. */
export interface NodeEntry {
  id: string;
  /**
   * The id of the cluster the node belongs to (made in its PostgreSQL database, cluster-claim.ts):
   * an entry stamped with another is read as none (cluster-identity.ts `foreign`). Absent only
   * from an entry of a release before stamps, which is unsealed too and so read as none
   * (json-seal.ts) before its stamp is looked at.
   */
  cluster?: string;
  /** `cluster.advertise_url`: where other nodes forward requests for its workers. */
  url: string;
  /**
   * When the entry was written, by its process's `entryClock`: it orders the entries one process
   * writes, and only those (another process's clock, a successor's on another host, need not agree).
   */
  at: number;
  /**
   * A token of the process that wrote the entry, new at every start: a node finding its entry
   * written by another tells a second node under its id from itself. Absent: a node of a release
   * before it.
   */
  instance?: string;
  /**
   * The workers whose connections this node holds, with their load and tenant (absent: a node from
   * before tenants had workers, whose workers no caller's tenant is routed to), and whether each
   * drains: then no node chooses it for a new call (absent: it does not, or its node is of a
   * release that did not say).
   */
  workers: (Pick<WorkerSummary, "name" | "models" | "inFlight" | "capacity" | "responsesApi" | "draining"> &
    Partial<Pick<WorkerSummary, "tenant">> & {
      /**
       * Connected here no longer (closed by its stopping node, or its predecessor's under the same
       * id): listed, draining, only so that its models read as draining until it registers
       * elsewhere; no node reads a stored response through it.
       */
      closed?: true;
    })[];
  /**
   * The config the node runs: its own version counter and a fingerprint comparable across nodes of
   * the same `release` (config-fingerprint.ts).
   */
  config?: NodeConfig;
  /**
   * The forward format the node takes (forward-endpoint.ts): 2 names the worker and carries the
   * client's headers, query and body text; 3 the caller's tenant; 4 a cancel's `timedOut`. Absent:
   * a node from before, which refuses those fields, so during a rolling upgrade it is sent the first
   * format.
   */
  forwardVersion?: number;
  /** The peer link this node serves (link-endpoint.ts); absent: none, forwards go over HTTP. */
  linkVersion?: number;
  /**
   * The build the node runs (`0.1.0+1a2b3c4`, as `mindgw version` says it), so a rolling upgrade's
   * mixed releases show; absent: a node of a release that did not say.
   */
  release?: string;
  /**
   * The node answers a live stream's ask on `mgw:events` (event-relay.ts `othersWritten`); absent:
   * a node of a release before asks, which no opening stream waits for (it would never answer).
   */
  answersAsks?: boolean;
  /**
   * The node says at once that it heard an ask (`heard` on `mgw:events`), before it writes its rows.
   * Absent: one of a release that answers without saying so, waited for until the ask's deadline
   * (skipped at the heard bound, its rows would never be waited for during a rolling upgrade).
   */
  saysHeard?: boolean;
  /** Someone reads this node's live event stream: the other nodes relay their requests to it (event-relay.ts). */
  watching?: boolean;
  /**
   * The node stops (`publishDraining`): its workers are listed, all draining, only so that no node
   * reads their models as served nowhere. It counts as no live node (the limits' share while Redis
   * is away, `/readyz`, the nodes gauge). Absent: it does not, or its node is of a release that
   * did not say.
   */
  stopping?: boolean;
}

/**
 * The steady clock in whole ms: an NTP step of the wall clock never takes it back, so a node's later
 * entry never reads as older than one it wrote before.
 */
export const entryClock = (): number => Math.round(steadyClock());

/** The forward format this build takes and publishes. */
export const FORWARD_VERSION = 4;
/** The first forward format that carries the caller's tenant. */
export const TENANT_FORWARD_VERSION = 3;
/** The first whose cancel may say `timedOut` (forward-endpoint.ts `ForwardCancel`). */
export const TIMED_OUT_FORWARD_VERSION = 4;
/** The peer link this build serves and opens (`/cluster/v1/link`). */
export const LINK_VERSION = 1;

export interface NodeConfig {
  version: number;
  fingerprint: string;
}
