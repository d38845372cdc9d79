import type { AbortSource } from "../core/abort-followers.ts";
import { dialectOf, type JsonObject, type Operation } from "../core/dialect.ts";
import type { ResponsesContext } from "../routing/adapt-dialect.ts";
import type { DispatchRequest, ReceivedRequest } from "../routing/dispatch.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { GuardedRequest, type RequestGate } from "./guarded-request.ts";
import type { RequestLedger } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";

/**
 * A guarded model call: the operation it asks for, and its upstream path when not the operation's
 * own. Once its body is read and checked, it is also the router's request (`dispatch`): the
 * fields the router reads are set on it, not copied into an object of their own per request.
 */
export class ModelCall extends GuardedRequest implements DispatchRequest {
  body: JsonObject = NO_BODY;
  model = "";
  stream = false;
  /** The request's abort (http/request-abort.ts), once the call is admitted. */
  signal: AbortSource = NEVER_ABORTED;
  received: ReceivedRequest | undefined = undefined;
  responses: ResponsesContext | undefined = undefined;

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
  ) {
    super(request, ip, dialectOf(operation), runtime, ledger, headers, gate);
  }

  get requestId(): string {
    return this.ledger.requestId;
  }

  /** The ledger hears each attempt (the route it last tried) and passes it on to telemetry. */
  get telemetry(): DispatchTelemetry {
    return this.ledger;
  }
}

const NO_BODY: JsonObject = Object.freeze({});
/** Until the call is admitted: a source that never aborts (the router is not called before). */
const NEVER_ABORTED: AbortSource = new AbortController().signal;
