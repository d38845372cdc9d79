import { requireAppTenant } from "../apps/app-tenant.ts";
import { anthropicLimitHeaders } from "../auth/anthropic-limit-headers.ts";
import { unauthorized } from "../auth/authenticate.ts";
import { principalNowOr } from "../auth/known-principal.ts";
import type { Principal } from "../auth/principal.ts";
import { describeError } from "../core/describe-error.ts";
import { errorBody, toldIn } from "../core/error-wire.ts";
import { GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { errorResponse, wireStatus } from "./error-body.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import type { GuardedRequest } from "./guarded-request.ts";
import { isMonitoringRead } from "./monitoring-reads.ts";
import { recordedModel } from "./recorded-model.ts";
import { refusalError } from "./refusal-error.ts";
import { idHeaders } from "./request-id.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import type { Shutdown } from "./shutdown.ts";
import { closesUnread } from "./unread-body.ts";
import { whileOpen } from "./while-open.ts";

/**
 * What the front door's guard does around a handler, step by step: counts the request in or
 * refuses it, admits and authenticates the caller, ends the record with the answer, maps any
 * error to the caller's dialect (the one place errors become responses), and gives back the
 * place the request held. As methods of one object made per front door, so that the model
 * pipeline runs them in its own frame (one async function a model call, where a guard's frame
 * awaiting the pipeline's made two) and the generic guard around any handler, alike:
 *
 *   const refused = steps.enter(call); if (refused) return refused;
 *   try { const caller = steps.admit(call);   // waited while open: a promise only if not known
 *         steps.known(call, caller instanceof Promise ? await caller : caller); …;
 *         return steps.answered(call, response); }
 *   catch (error) { return steps.failed(call, error); } finally { steps.left(call); }
 */
/**
 * The record of an answer whose client had gone before it was ready: it left, or Bun reset its
 * socket at `server.idle_timeout` while the answer waited (on a busy database, say). No status
 * reached it, so the row says 499 as a stream's does, and names the answer it never got.
 */
function goneBefore(status: number, failure?: GatewayError): GatewayError {
  const answer = failure ? `${status} ${failure.code}` : String(status);
  return new GatewayError({
    status: 499,
    code: "client_closed",
    message: `the client was gone before its answer (${answer})`,
    ...(failure
      ? { cause: failure, ...(failure.detail === undefined ? {} : { detail: failure.detail }) }
      : {}),
  });
}

/** An answer before a large body (or any, to a 401) was read ends the connection (unread-body.ts). */
function closeIfUnread(call: GuardedRequest, status: number): void {
  if (closesUnread(call.request, status)) call.headers.connection = "close";
}

export class GuardSteps {
  // The wrapped authenticator, made once per config version (its snapshot), not once per request:
  // a wrapper is a function of the version's authenticator and its binding of callers, and two
  // versions may share one authenticator (a config that binds no caller takes it as it is).
  private wrappedOf: RequestRuntime | undefined;
  private wrapped: RequestRuntime["authenticate"] | undefined;

  constructor(
    private readonly deps: FrontDoorDeps,
    /** The open requests a caller still being authenticated waits among (shutdown.ts). */
    private readonly open: Shutdown,
  ) {}

  /**
   * Counts the request in; a refusal (draining, at capacity) is answered and recorded at once,
   * before authentication: the record names the caller known already (a socket turn's), or the
   * one its key names if the key cache holds it (never a store read, never a 401 instead).
   */
  enter(call: GuardedRequest): Response | undefined {
    const refused = this.deps.lifecycle.enter();
    if (!refused) return undefined;
    const error = refusalError(refused, this.deps.lifecycle.limit);
    const known = call.beforehand;
    call.ledger.principal = known?.principal ?? this.deps.knownCaller?.(call.request.headers);
    if (known)
      call.ledger.model =
        known.model && recordedModel(known.model, call.runtime.routes(known.model, known.principal.tenant));
    const body = errorBody(error, call.dialect);
    call.ledger.finish(error.status, error, toldIn(body, error, call.dialect));
    closeIfUnread(call, error.status);
    return errorResponse(error, call.dialect, call.headers, body);
  }

  /**
   * Takes the client's slot, refuses all traffic when told to (but the operator's monitoring reads:
   * monitoring-reads.ts), and authenticates the caller: in hand for a cached key
   * (known-principal.ts; the caller goes on without an `await`), else a promise that ends when the
   * client leaves or a stop's deadline passes (while-open.ts), and, while an embedder's
   * authenticator has not answered, at its bound (bound-authenticator.ts).
   */
  admit(call: GuardedRequest): Principal | Promise<Principal> {
    this.admitUnauthenticated(call);
    const { headers } = call.request;
    const answer = principalNowOr(this.authenticatorOf(call.runtime)(headers));
    if (!(answer instanceof Promise)) return answer;
    // The embedder's call, made by the parts if they called it already, else here for them to time
    // whenever they do (bound-authenticator.ts): nothing made for an answer in hand.
    const embedders = this.deps.pluginBounds?.authenticate?.callOf(headers);
    // The request's signal is read only here: Bun makes it when first asked.
    return whileOpen(answer, call.request.signal, this.open, embedders);
  }

  /** As `admit`, for a request no credential is asked of: its client's slot and the refusal of all traffic. */
  admitUnauthenticated(call: GuardedRequest): void {
    const deps = this.deps;
    deps.clientSlots?.enter(call.ip, call.runtime.maxClientRequests);
    call.slot = true;
    const refusal = deps.refusal();
    if (refusal && !isMonitoringRead(call.request)) throw refusal;
  }

  /**
   * The caller is authenticated: the record names it, then a caller of another tenant than the
   * app's is refused (403), as a role's refusal is, with the row saying who it was.
   */
  known(call: GuardedRequest, principal: Principal): void {
    call.known(principal);
    const app = this.deps.app;
    if (app !== undefined) requireAppTenant(app, principal);
  }

  /** The handler's answer: the record ends with it, unless a stream defers the end. */
  answered(call: GuardedRequest, response: Response): Response {
    if (call.deferred) return response;
    if (call.request.signal.aborted) call.ledger.finish(499, goneBefore(response.status));
    else call.ledger.finish(response.status);
    return response;
  }

  /**
   * Anything thrown, as the caller's dialect's error, recorded. Before the caller is known, an
   * error that is no GatewayError is the uniform 401 (an embedder's authenticator may throw
   * anything; whatever it is, the caller is not in), without `x-should-retry: false`: what threw
   * may be an outage a later try outlives. After, it is a 500, logged.
   */
  failed(call: GuardedRequest, error: unknown): Response {
    const { ledger, dialect } = call;
    const failure =
      ledger.principal === undefined && !(error instanceof GatewayError)
        ? // What it threw is told on the access line (its `detail`), never to the client.
          unauthorized(describeError(error))
        : toGatewayError(error);
    if (failure.status === 500)
      this.deps.logger.error("internal error", {
        request_id: ledger.requestId,
        // A GatewayError of no error status, made a 500: its detail says what was thrown.
        error: describeError(failure !== error && failure.detail !== undefined ? failure : error),
      });
    // A limit's own 429 says it under Anthropic's names too, to a Messages caller (into its own
    // record: an embedder's policy may have refused with a frozen one).
    if (dialect === "anthropic" && failure.refusedBy !== undefined && Object.isExtensible(failure.headers))
      anthropicLimitHeaders(failure.headers, Date.now());
    // The body is built once, for the answer and the record's message (a flood of 401s included).
    const body = errorBody(failure, dialect);
    // A client that left is recorded as such (499), though no status can reach it.
    if (failure.status === 499) ledger.finish(499, failure);
    else if (call.request.signal.aborted)
      ledger.finish(499, goneBefore(wireStatus(failure, dialect), failure));
    else ledger.finish(wireStatus(failure, dialect), failure, toldIn(body, failure, dialect));
    if (call.deferred) call.leave();
    closeIfUnread(call, failure.status);
    try {
      return errorResponse(failure, dialect, call.headers, body);
    } catch (headerError) {
      // A header the answer was given (an embedder's policy's, say, or its refusal's own) is no
      // header value: the answer that failed for it would fail again; this one carries the
      // request's id alone, not the refusal's headers either (with them it threw again, past
      // every handler, and the caller was answered in OpenAI's shape whatever it spoke).
      this.deps.logger.error("an answer's headers were refused", {
        request_id: ledger.requestId,
        error: describeError(headerError),
      });
      return errorResponse(
        failure.with({ headers: {} }),
        dialect,
        idHeaders(ledger.requestId, dialect),
        body,
      );
    }
  }

  /** Gives back the place the request held, unless a stream holds it until it ends. */
  left(call: GuardedRequest): void {
    if (!call.deferred) call.leave();
  }

  private authenticatorOf(runtime: RequestRuntime): RequestRuntime["authenticate"] {
    const wrap = this.deps.authenticate;
    if (!wrap) return runtime.authenticate;
    if (this.wrapped === undefined || this.wrappedOf !== runtime) {
      this.wrapped = wrap(runtime.authenticate, runtime.bindCaller);
      this.wrappedOf = runtime;
    }
    return this.wrapped;
  }
}
