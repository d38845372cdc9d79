import type { FrontDoor } from "../audit/audit-record.ts";
import { userAgentOf } from "../audit/audit-text.ts";
import { type Dialect, dialectOf, type Operation } from "../core/dialect.ts";
import { type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { TRACEPARENT } from "../core/traceparent.ts";
import { TRACESTATE } from "../core/tracestate.ts";
import type { ServerLike } from "./client-of.ts";
import { errorResponse } from "./error-body.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import { GuardSteps } from "./guard-steps.ts";
import { type Guarded, GuardedRequest, type KnownBeforehand } from "./guarded-request.ts";
import { ModelCall } from "./model-call.ts";
import { modelPipeline } from "./model-pipeline.ts";
import { freshRequestId, givenRequestId, idHeaders } from "./request-id.ts";
import { RequestLedger } from "./request-ledger.ts";
import type { SocketTurnContext } from "./responses-context.ts";
import { Shutdown } from "./shutdown.ts";
import { unreadBodyHeaders } from "./unread-body.ts";
import { whileOpen } from "./while-open.ts";

export type { FrontDoorDeps, Limits } from "./front-door-deps.ts";
export type { Guarded, KnownBeforehand } from "./guarded-request.ts";

/** What a handler behind `guardUnauthenticated` gets: the request's record and answer headers, and a way to name its caller once known. */
export type UnauthenticatedCall = Pick<GuardedRequest, "ledger" | "headers" | "known">;

/**
 * The pipelines every client-facing request shares. `guard` accounts for the request,
 * refuses it while draining, authenticates, and maps any error to the caller's dialect —
 * the one place errors become responses. `serveModel` is the model-call pipeline on top.
 */
export function createFrontDoor(deps: FrontDoorDeps) {
  // The open requests whose clients are polled (a model call's, and a caller still being
  // authenticated here): the gateway's, else the front door's own.
  const open = deps.shutdown ?? new Shutdown();
  const steps = new GuardSteps(deps, open);
  const callModel = modelPipeline(deps, steps, open);
  /** The app each request's record names (none at the root's front door). */
  const app = deps.app?.name ?? null;

  /**
   * The request's record, its headers and the place it holds: one object the layers below share.
   * One wall-clock read stamps both the record's start and a fresh request id.
   */
  function ledgerOf(
    request: Request,
    clientIp: string | null,
    frontDoor: FrontDoor,
    dialect: Dialect,
  ): RequestLedger {
    const headers = request.headers;
    const startedAt = Date.now();
    const traceparent = headers.get(TRACEPARENT);
    const given = givenRequestId(headers);
    return new RequestLedger(
      given ?? freshRequestId(startedAt),
      startedAt,
      frontDoor,
      clientIp,
      userAgentOf(headers),
      traceparent,
      // Ignored without a traceparent (W3C Trace Context): not even read, as most requests have neither.
      traceparent === null ? null : headers.get(TRACESTATE),
      deps.observer,
      deps.ends,
      dialect,
      app,
      given === undefined,
    );
  }

  function guard(
    request: Request,
    clientIp: string | null,
    frontDoor: FrontDoor,
    dialect: Dialect,
    handle: (guarded: Guarded) => Promise<Response>,
    /** Who and what the request is known to be already (a socket turn), for a refusal's record. */
    beforehand?: KnownBeforehand,
  ): Promise<Response> {
    const ledger = ledgerOf(request, clientIp, frontDoor, dialect);
    const headers = idHeaders(ledger.requestId, dialect);
    const call = new GuardedRequest(request, clientIp, dialect, deps.runtime(), ledger, headers, deps);
    call.beforehand = beforehand;
    return run(call, handle);
  }

  /**
   * As `guard`, for a request that by design carries no credential (single sign-on's redirect to
   * the provider and its callback, the web UI's session probe): counted in, refused while draining,
   * recorded under its front door and answered with its request id as any other. The handler names
   * the caller on the record once it knows one (`known`).
   */
  function guardUnauthenticated(
    request: Request,
    clientIp: string | null,
    frontDoor: FrontDoor,
    dialect: Dialect,
    handle: (call: UnauthenticatedCall) => Promise<Response>,
  ): Promise<Response> {
    const ledger = ledgerOf(request, clientIp, frontDoor, dialect);
    const headers = idHeaders(ledger.requestId, dialect);
    const call = new GuardedRequest(request, clientIp, dialect, deps.runtime(), ledger, headers, deps);
    return run(call, handle, "nothing");
  }

  /**
   * The guard's steps around any handler (a model call runs them in its own frame: model-pipeline.ts).
   * `asks`: whether the caller must present a credential (every route but `guardUnauthenticated`'s).
   */
  async function run(
    call: GuardedRequest,
    handle: (call: GuardedRequest) => Promise<Response>,
    asks: "credential" | "nothing" = "credential",
  ): Promise<Response> {
    const refused = steps.enter(call);
    if (refused) return refused;
    try {
      if (asks === "credential") {
        const caller = steps.admit(call);
        steps.known(call, caller instanceof Promise ? await caller : caller);
      } else steps.admitUnauthenticated(call);
      // A handler waits on stores (an embedder's, or one across the network) that may never
      // answer: its request still ends when the client leaves or a stop's deadline passes.
      return steps.answered(call, await whileOpen(handle(call), call.request.signal, open));
    } catch (error) {
      // Asked for nothing, a failure is never the guard's "not yet known, so not in" (a 401).
      return steps.failed(call, asks === "credential" ? error : toGatewayError(error));
    } finally {
      steps.left(call);
    }
  }

  /**
   * `path`: an upstream path other than the operation's own (`/responses/compact`, native routes
   * only); `server`: the listening server that took the request, none in process; `beforehand`:
   * who and what the request is known to be already (a socket turn), for a refusal's record;
   * `socketTurn`: a socket turn's part in its context (the response it continues, held on its
   * connection, and who hears who answered it: responses-context.ts).
   */
  function serveModel(
    request: Request,
    clientIp: string | null,
    operation: Operation,
    path?: string,
    server?: ServerLike,
    beforehand?: KnownBeforehand,
    socketTurn?: SocketTurnContext,
  ): Promise<Response> {
    const dialect = dialectOf(operation);
    const ledger = ledgerOf(request, clientIp, operation, dialect);
    const headers = idHeaders(ledger.requestId, dialect);
    const call = new ModelCall(
      request,
      clientIp,
      deps.runtime(),
      ledger,
      headers,
      deps,
      operation,
      path,
      server,
    );
    call.beforehand = beforehand;
    call.socketTurn = socketTurn;
    return callModel(call);
  }

  /** Answers a request that never reached a handler (no such route), and accounts for it. */
  function reject(
    request: Request,
    clientIp: string | null,
    error: GatewayError,
    dialect: Dialect,
  ): Response {
    const ledger = ledgerOf(request, clientIp, "other", dialect);
    ledger.finish(error.status, error);
    return errorResponse(error, dialect, unreadBodyHeaders(request, error.status, ledger.requestId, dialect));
  }

  /**
   * Answers an OPTIONS request on a routed path, and accounts for it: 204 with the path's methods
   * and no CORS headers (the gateway serves servers, not browsers: docs/SECURITY.md).
   */
  function preflight(request: Request, clientIp: string | null, allow: string, dialect: Dialect): Response {
    const ledger = ledgerOf(request, clientIp, "other", dialect);
    ledger.finish(204);
    const headers = unreadBodyHeaders(request, 204, ledger.requestId, dialect);
    return new Response(null, { status: 204, headers: { ...headers, allow } });
  }

  return { guard, guardUnauthenticated, serveModel, reject, preflight };
}
