import type { AuditRecord } from "./audit-record.ts";
import type { PublishedRecord } from "./published-record.ts";

/**
 * What the live event stream (`/admin/api/events`, SSE) carries, one JSON object per event
 * with `type` as the SSE event name. `mindgw tail` reads exactly these.
 */
export type GatewayEvent =
  | {
      type: "request.started";
      at: number;
      requestId: string;
      /** The caller's id, as its record's `keyId`: a key's id, a JWT caller's `jwt:<tenant>:<name>`. */
      keyId: string | null;
      keyName: string | null;
      /** The caller's tenant: non-admin readers of the stream see only their own tenant's events. */
      tenant?: string | null;
      model: string | null;
      frontDoor: AuditRecord["frontDoor"];
      stream: boolean;
      /** The app (`apps:`) whose front door took the request; absent at the root's. */
      app?: string;
      /** The cluster node that took it (its record's `node`); absent off a cluster. */
      node?: string;
      /**
       * The process of that node that took it (its directory entry's `instance`, new at every
       * start): a `node.left` naming another instance of the node does not end it. Absent off a cluster.
       */
      instance?: string;
    }
  /** The request's audit record without its bodies (published-record.ts). */
  | { type: "request.finished"; at: number; record: PublishedRecord }
  | {
      type: "worker.connected";
      at: number;
      worker: WorkerSummary;
    }
  /**
   * A connected worker changed: its models, its key narrowed or widened (`worker.models`, what it
   * is routed now); or what its upstream serves, announced on its connection (`worker.responsesApi`).
   * Not a connection: a consumer counting `worker.connected` counts none here.
   */
  | { type: "worker.changed"; at: number; worker: WorkerSummary }
  /** A worker announced a drain: it finishes what it has and takes nothing new, then leaves (`worker.lost`). */
  | { type: "worker.draining"; at: number; worker: WorkerSummary }
  | {
      type: "worker.lost";
      at: number;
      worker: WorkerSummary;
      reason: string;
      /**
       * It left at a drain's end with nothing cut: its own (it closed the connection itself, 1000),
       * or the gateway's once its key permitted none of its models (`reason` says which). False for
       * a worker lost (its connection cut, its heartbeats stopped, a drain cut short so too).
       */
      drained: boolean;
    }
  | {
      type: "config.reloaded";
      at: number;
      version: number;
      /**
       * Restart-only settings the file now changes from what the process started on: those are
       * not applied, and only a restart will (empty when none; absent from an older gateway).
       */
      restartRequired?: string[];
    }
  /**
   * A valid config edit that changes only restart-only settings: nothing to apply, so the
   * version that serves (`version`) is unchanged; `restartRequired` lists what the file now
   * changes from what the process started on.
   */
  | { type: "config.restart_required"; at: number; version: number; restartRequired: string[] }
  | { type: "config.rejected"; at: number; error: string }
  /**
   * A valid config edit that settles what the last changes left pending, applying nothing: the
   * file is back to what serves (`version`, unchanged) after a rejected edit (`lastReloadError`
   * cleared), or puts restart-only settings back as at start (`restartRequired` empty). What a
   * `config.rejected` or `config.restart_required` said is over. `restartRequired`: what still
   * waits for a restart (a rejected edit undone while restart-only edits wait); empty, nothing.
   */
  | { type: "config.restored"; at: number; version: number; restartRequired: string[] }
  /**
   * A cluster node dropped out of this node's directory (its entry expired or removed: killed, or
   * stopped): a request it took that no `request.finished` has come for gets none from it now.
   */
  | {
      type: "node.left";
      at: number;
      node: string;
      /**
       * The node's process that left (its entry's `instance`): the node may be listed again already,
       * started again under its id; only that process's requests end. Absent: an entry of a release
       * before instances, every request of the node ends.
       */
      instance?: string;
    }
  /** Sent to a consumer that fell behind: `count` events were dropped for it. */
  | { type: "events.missed"; at: number; count: number };

/**
 * Said once, first, by a live stream opening on a cluster node, never published on the bus (no
 * event sink gets one): a node asked to write its queued rows as the stream opened did not answer
 * (killed but still listed, or not heard from in time: cluster/event-relay.ts `othersWritten`). A
 * request it finished just before the connect may be missing from the log read once the stream is
 * open; a killed node's requests in flight are ended by its `node.left` as its entry expires.
 */
export interface NodeUnanswered {
  type: "node.unanswered";
  at: number;
  node: string;
}

/**
 * Every event type, one list: what an event sink's `types` filter may name (a typo is refused at
 * load instead of matching nothing).
 */
export const GATEWAY_EVENT_TYPES = [
  "request.started",
  "request.finished",
  "worker.connected",
  "worker.changed",
  "worker.draining",
  "worker.lost",
  "config.reloaded",
  "config.restart_required",
  "config.rejected",
  "config.restored",
  "node.left",
  "events.missed",
] as const satisfies readonly GatewayEvent["type"][];
export type GatewayEventType = (typeof GATEWAY_EVENT_TYPES)[number];
type Unlisted = Exclude<GatewayEvent["type"], GatewayEventType>;
// The list names every type of the union: a new event type fails to compile until listed here.
export const EVERY_EVENT_TYPE_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;

/** What became of a config change: the types the status, the stats and the tail read as one. */
export const CONFIG_EVENT_TYPES = [
  "config.reloaded",
  "config.restart_required",
  "config.rejected",
  "config.restored",
] as const satisfies readonly GatewayEventType[];
export type ConfigEvent = Extract<GatewayEvent, { type: (typeof CONFIG_EVENT_TYPES)[number] }>;
const CONFIG_TYPES: ReadonlySet<string> = new Set(CONFIG_EVENT_TYPES);
export const isConfigEvent = (event: GatewayEvent): event is ConfigEvent => CONFIG_TYPES.has(event.type);

export interface WorkerSummary {
  id: string;
  name: string;
  /** The tenant of the credential it registered with; `default`'s workers serve every tenant. */
  tenant: string;
  models: string[];
  inFlight: number;
  capacity: number;
  labels: Record<string, string>;
  lastHeartbeatAt: number;
  /** Announced a drain: finishing what it has, taking nothing new. */
  draining?: boolean;
  /** The worker's `mindgw` version, as it registered. */
  version?: string;
  /** When it registered (epoch ms). */
  connectedAt?: number;
  /** Its upstream serves the Responses API (announced at registration, or since): served natively. */
  responsesApi?: boolean;
}
