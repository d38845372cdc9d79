import type { AbortSource } from "../core/abort-followers.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import type { ResponsesContext } from "../routing/adapt-dialect.ts";
import type { DispatchRequest, ReceivedRequest } from "../routing/dispatch.ts";
import type { SpliceSite } from "../routing/splice-body.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";

/**
 * A model call as the front door hands it to the router: the dispatch request and the request as
 * received (for a same-dialect route) as one object, where they were two made per request. It
 * holds what the two held (no Bun request, no ledger): a shadow copy that keeps it keeps no more.
 */
export class ModelDispatch implements DispatchRequest, ReceivedRequest {
  constructor(
    readonly operation: Operation,
    /** As parsed, before any route changed it. */
    readonly body: JsonObject,
    /**
     * The body's bytes, as received; then as spliced for a route, or let go once no route needs
     * them (`ReceivedRequest.bytes`).
     */
    public bytes: Uint8Array<ArrayBuffer> | undefined,
    readonly model: string,
    readonly stream: boolean,
    readonly requestId: string,
    readonly serial: number,
    /** The caller's: the workers a route may take are its tenant's and the default tenant's. */
    readonly tenant: string,
    readonly signal: AbortSource,
    /** The client's dialect headers, from the allow-list. */
    readonly headers: Readonly<Record<string, string>>,
    /** With its `?`, or "". */
    readonly query: string,
    readonly path: string | undefined,
    readonly telemetry: DispatchTelemetry,
    readonly responses: ResponsesContext | undefined,
    /** The audit row's request body is made from `bytes` (`ReceivedRequest.bytesAudited`). */
    readonly bytesAudited: boolean,
  ) {}

  /** Where `bytes` hold the model once they are a route's splice (`ReceivedRequest.spliced`). */
  spliced: SpliceSite | undefined = undefined;

  // What the body holds of thinking, once looked for (`ReceivedRequest.unsignedThinking`): declared
  // here, so the look sets fields the object has from the start, its shape the same every request.
  unsignedThinking: boolean | undefined = undefined;
  thinkingToMend: boolean | undefined = undefined;

  /** The request as received: this object itself. */
  get received(): ReceivedRequest {
    return this;
  }
}
