import { dialectOf, type Operation } from "../core/dialect.ts";
import type { ServerLike } from "./client-of.ts";
import { GuardedRequest, type RequestGate } from "./guarded-request.ts";
import type { RequestLedger } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import type { SocketTurnContext } from "./responses-context.ts";

/** A guarded model call: the operation it asks for, and its upstream path when not the operation's own. */
export class ModelCall extends GuardedRequest {
  /**
   * A Responses WebSocket turn's: the response it continues, held on its connection, and who
   * hears who answered it.
   */
  socketTurn: SocketTurnContext | undefined = undefined;
  /** Told once the request has ended: its response, if unstored, is no longer read as in flight. */
  responsesEnded: (() => void) | undefined = undefined;

  constructor(
    request: Request,
    ip: string | null,
    runtime: RequestRuntime,
    ledger: RequestLedger,
    headers: Record<string, string>,
    gate: RequestGate,
    readonly operation: Operation,
    /** `/responses/compact`: native routes only. */
    readonly path: string | undefined,
    /** The listening server that took it (a stream lengthens its idle timeout); none in process. */
    readonly server: ServerLike,
  ) {
    super(request, ip, dialectOf(operation), runtime, ledger, headers, gate);
  }

  override leave(): void {
    super.leave();
    this.responsesEnded?.();
  }
}
