import type { Principal } from "../auth/principal.ts";
import type { Dialect } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { ClientSlots } from "./client-slots.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { eventStreamsFullError } from "./refusal-error.ts";
import type { RequestLedger } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";

/** Where a request holds a place while it runs: the gateway's in-flight count and its client's slots. */
export interface RequestGate {
  readonly lifecycle: Lifecycle;
  readonly clientSlots?: ClientSlots;
}

/** What a guarded handler gets: the caller, the request's ledger and its response headers. */
export interface Guarded {
  /** The config version this request runs on, start to end. */
  readonly runtime: RequestRuntime;
  readonly principal: Principal;
  readonly ledger: RequestLedger;
  readonly headers: Record<string, string>;
  /** Call when the handler hands back a stream: the request ends when `done` is called. */
  deferEnd(): (status: number, error?: GatewayError) => void;
  /**
   * `deferEnd` for a live event stream: it gives back its place among the requests in flight at
   * once (lifecycle.ts: a drain still waits for it), and takes one of `server.max_event_streams`;
   * at that bound it throws the 503 `over_capacity`.
   */
  deferEndAsEventStream(): (status: number, error?: GatewayError) => void;
}

/**
 * What a request is known to be before the gateway reads it: a Responses WebSocket turn's caller
 * (the connection's, authenticated at the upgrade) and the turn's model. Only a refusal at the
 * door (draining, at capacity) uses it, so that its record names who was refused for what; the
 * request itself is authenticated and read as any other.
 */
export interface KnownBeforehand {
  readonly principal: Principal;
  readonly model: string | null;
}

/**
 * One guarded request, start to end: what the front door's layers used to close over (the place
 * it holds, whether its end is deferred to a stream, the caller) as fields of one object with
 * methods, so a request makes no closures for them.
 */
export class GuardedRequest implements Guarded {
  /** Set once the caller is authenticated, before any handler runs. */
  principal!: Principal;
  /** The handler hands back a stream: the request ends when it ends, not when the handler returns. */
  deferred = false;
  /** A client slot is held (released with the request). */
  slot = false;
  /** A live event stream: counted as such, not in flight, until it ends. */
  private eventStream = false;
  /** For the record of a refusal at the door (see there). */
  beforehand: KnownBeforehand | undefined = undefined;

  constructor(
    readonly request: Request,
    readonly ip: string | null,
    readonly dialect: Dialect,
    readonly runtime: RequestRuntime,
    readonly ledger: RequestLedger,
    readonly headers: Record<string, string>,
    private readonly gate: RequestGate,
  ) {}

  /** The caller is authenticated: the handler and the request's record see who it is. */
  known(principal: Principal): void {
    this.principal = principal;
    this.ledger.principal = principal;
  }

  deferEnd(): (status: number, error?: GatewayError) => void {
    this.deferred = true;
    return (status, error) => this.end(status, error);
  }

  deferEndAsEventStream(): (status: number, error?: GatewayError) => void {
    const { lifecycle } = this.gate;
    if (!lifecycle.toEventStream()) throw eventStreamsFullError(lifecycle.eventStreamLimit);
    this.eventStream = true;
    return this.deferEnd();
  }

  /** Ends a deferred request: its record, then the place it held. */
  end(status: number, error?: GatewayError): void {
    this.ledger.finish(status, error);
    this.leave();
  }

  /** Gives back the place the request held (the in-flight count, its client's slot). */
  leave(): void {
    if (this.eventStream) this.gate.lifecycle.eventStreamEnded();
    else this.gate.lifecycle.leave();
    if (this.slot) this.gate.clientSlots?.leave(this.ip);
  }
}
