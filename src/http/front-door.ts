import type { FrontDoor } from "../audit/audit-record.ts";
import { unauthorized } from "../auth/authenticate.ts";
import { type Dialect, dialectOf, type Operation } from "../core/dialect.ts";
import { GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { describeError } from "./describe-error.ts";
import { errorResponse, wireStatus } from "./error-body.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import { type Guarded, GuardedRequest } from "./guarded-request.ts";
import { ModelCall } from "./model-call.ts";
import { modelPipeline } from "./model-pipeline.ts";
import { refusalError } from "./refusal-error.ts";
import { requestIdOf } from "./request-id.ts";
import { RequestLedger } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";

export type { FrontDoorDeps, Limits } from "./front-door-deps.ts";
export type { Guarded } from "./guarded-request.ts";

/** Every response names its request; Anthropic's SDK reads `request-id` (its `requestID`). */
const idHeaders = (requestId: string, dialect: Dialect): Record<string, string> =>
  dialect === "anthropic"
    ? { "x-request-id": requestId, "request-id": requestId }
    : { "x-request-id": requestId };

/**
 * The pipelines every client-facing request shares. `guard` accounts for the request,
 * refuses it while draining, authenticates, and maps any error to the caller's dialect —
 * the one place errors become responses. `serveModel` is the model-call pipeline on top.
 */
export function createFrontDoor(deps: FrontDoorDeps) {
  const callModel = modelPipeline(deps);

  /** The request's record, its headers and the place it holds: one object the layers below share. */
  function ledgerOf(request: Request, clientIp: string | null, frontDoor: FrontDoor): RequestLedger {
    const headers = request.headers;
    return new RequestLedger(
      requestIdOf(headers),
      frontDoor,
      clientIp,
      headers.get("user-agent"),
      headers.get("traceparent"),
      deps.observer,
    );
  }

  // The wrapped authenticator, made once per config version's own (a wrapper is a function of
  // the authenticator it wraps alone), not once per request.
  let wrappedOf: RequestRuntime["authenticate"] | undefined;
  let wrapped: RequestRuntime["authenticate"] | undefined;
  function authenticatorOf(runtime: RequestRuntime): RequestRuntime["authenticate"] {
    if (!deps.authenticate) return runtime.authenticate;
    if (wrapped === undefined || wrappedOf !== runtime.authenticate) {
      wrapped = deps.authenticate(runtime.authenticate);
      wrappedOf = runtime.authenticate;
    }
    return wrapped;
  }

  function guard(
    request: Request,
    clientIp: string | null,
    frontDoor: FrontDoor,
    dialect: Dialect,
    handle: (guarded: Guarded) => Promise<Response>,
  ): Promise<Response> {
    const ledger = ledgerOf(request, clientIp, frontDoor);
    const headers = idHeaders(ledger.requestId, dialect);
    return run(new GuardedRequest(request, clientIp, dialect, deps.runtime(), ledger, headers, deps), handle);
  }

  /**
   * Accounts for the request, refuses it while draining, authenticates, and maps any error to the
   * caller's dialect: the one place errors become responses.
   */
  async function run<G extends GuardedRequest>(
    call: G,
    handle: (call: G) => Promise<Response>,
  ): Promise<Response> {
    const { ledger, dialect, headers, runtime } = call;
    const refused = deps.lifecycle.enter();
    if (refused) {
      const error = refusalError(refused, deps.lifecycle.limit);
      ledger.finish(error.status, error);
      return errorResponse(error, dialect, headers);
    }
    try {
      deps.clientSlots?.enter(call.ip, runtime.maxClientRequests);
      call.slot = true;
      const refusal = deps.refusal();
      if (refusal) throw refusal;
      const authenticate = authenticatorOf(runtime);
      try {
        call.principal = await authenticate(call.request.headers);
      } catch (error) {
        // An embedder's authenticator may throw anything; whatever it is, the caller is not in.
        throw error instanceof GatewayError ? error : unauthorized();
      }
      ledger.principal = call.principal;
      const response = await handle(call);
      if (!call.deferred) ledger.finish(response.status);
      return response;
    } catch (error) {
      const failure = toGatewayError(error);
      if (failure.status === 500)
        deps.logger.error("internal error", { request_id: ledger.requestId, error: describeError(error) });
      // A client that left is recorded as such (499), though no status can reach it.
      ledger.finish(failure.status === 499 ? 499 : wireStatus(failure, dialect), failure);
      if (call.deferred) call.leave();
      return errorResponse(failure, dialect, headers);
    } finally {
      if (!call.deferred) call.leave();
    }
  }

  /** `path`: an upstream path other than the operation's own (`/responses/compact`, native routes only). */
  function serveModel(
    request: Request,
    clientIp: string | null,
    operation: Operation,
    path?: string,
  ): Promise<Response> {
    const ledger = ledgerOf(request, clientIp, operation);
    const headers = idHeaders(ledger.requestId, dialectOf(operation));
    return run(
      new ModelCall(request, clientIp, deps.runtime(), ledger, headers, deps, operation, path),
      callModel,
    );
  }

  /** Answers a request that never reached a handler (no such route), and accounts for it. */
  function reject(
    request: Request,
    clientIp: string | null,
    error: GatewayError,
    dialect: Dialect,
  ): Response {
    const ledger = ledgerOf(request, clientIp, "other");
    ledger.finish(error.status, error);
    return errorResponse(error, dialect, idHeaders(ledger.requestId, dialect));
  }

  return { guard, serveModel, reject };
}
