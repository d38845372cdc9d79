import type { QueuedRequest } from "../request-frame.ts";
import type { WorkerLog } from "../worker-log.ts";

/** The socket under a tunnel, whatever serves it. */
export interface TunnelTransport {
  send(text: string): void;
  /** A binary request frame, whole or to be framed where it is written (request-frame.ts); only where the peer is a worker. */
  sendBinary?(frame: Uint8Array<ArrayBuffer> | QueuedRequest): void;
  /** Writes what is queued now instead of at the end of this turn. */
  flush?(): void;
  /** Writes what is queued, then closes. */
  close(code: number, reason: string): void;
  /** The worker said it reads batch messages (`batch` in `register`). */
  peerReadsBatches?(): void;
  /**
   * Whether queueing `bytes` more would back the socket up too far: the worker is not reading
   * what is already queued. Past a limit the socket is closed, and every stream on it with it.
   */
  backedUp?(bytes: number): boolean;
}

/**
 * What a tunnel (worker-tunnel.ts) is made with: its worker as it registered, the socket under it,
 * its limits, and who hears how its requests end.
 */
export interface TunnelInit {
  id: string;
  name: string;
  owner: string;
  tenant: string;
  models: readonly string[];
  capacity: number;
  labels: Record<string, string>;
  /** The worker announced `responses` in its register frame's `apis`. */
  responsesApi?: boolean;
  /** What the worker said it runs (`mindgw version`), from its register frame. */
  version?: string;
  /** The worker announced `bodyText`: a request's body may go as the client's text. */
  bodyText?: boolean;
  /** The worker announced `binaryRequests`: a request with body text may go as a binary frame. */
  binaryRequests?: boolean;
  transport: TunnelTransport;
  log: WorkerLog;
  now: number;
  window?: number;
  maxBodyBytes?: number;
  /** The largest request frame the peer takes (a cluster peer link); unbounded without one. */
  maxRequestBytes?: number;
  /**
   * A request ended on the worker: its upstream answered (`end`), or failed (the worker could not
   * reach it, or its answer broke off; or the server's own answer said it failed: a refused key, a
   * 5xx). The registry judges the worker by these (worker-ejection.ts).
   */
  settled?: (answered: boolean) => void;
  /**
   * The worker broke the protocol on one of its streams (sent past its flow-control window): its
   * connection closes as on any protocol error (worker-connection.ts). Unset (a cluster peer link),
   * the stream alone fails.
   */
  protocolError?: (problem: string) => void;
  /**
   * A cluster peer link: a cancel says when the call's longest bound cut it (its `timedOut`), for
   * the node holding the worker to judge its server's silence. A worker is never told.
   */
  tellsTimeouts?: boolean;
}
