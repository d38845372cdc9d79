import type { FrontDoor } from "../audit/audit-record.ts";
import { type Authenticator, unauthorized } from "../auth/authenticate.ts";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Policy } from "../auth/policy.ts";
import { assertModelAllowed, requireArea } from "../auth/roles.ts";
import { captureChunks } from "../core/capture-chunks.ts";
import { type Dialect, dialectOf, type JsonObject, type Operation } from "../core/dialect.ts";
import { GatewayError, toGatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { ResponseStore } from "../storage/storage.ts";
import type { ClientSlots } from "./client-slots.ts";
import { dialectHeaders, queryOf } from "./dialect-headers.ts";
import { errorResponse, wireStatus } from "./error-body.ts";
import { type Guarded, GuardedRequest } from "./guarded-request.ts";
import { keptAliveResponse } from "./kept-alive-response.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { ModelCall } from "./model-call.ts";
import { within } from "./pending-stream.ts";
import { readJsonRequest } from "./read-json-body.ts";
import { refusalError } from "./refusal-error.ts";
import { RequestAbort } from "./request-abort.ts";
import { requestIdOf } from "./request-id.ts";
import { RequestLedger, type RequestObserver } from "./request-ledger.ts";
import type { RequestRuntime } from "./request-runtime.ts";
import { responsesContext } from "./responses-context.ts";
import type { Shutdown } from "./shutdown.ts";
import { type StreamEnds, sseResponse } from "./sse-response.ts";
import { validateBody } from "./validate-body.ts";

/** Limits and budgets as the front door sees them: the policy seam (auth/policy.ts). */
export type Limits = Policy;

export interface FrontDoorDeps {
  /** The current config version's parts; read once per request, at its start. */
  readonly runtime: () => RequestRuntime;
  /**
   * Wraps the runtime's authenticator for this front door: the admin UI's session cookie, an
   * app's narrowing to its models and tenant. A function of `inner` alone: called once per
   * config version's authenticator, not per request.
   */
  readonly authenticate?: (inner: Authenticator) => Authenticator;
  readonly observer: RequestObserver;
  readonly lifecycle: Lifecycle;
  /**
   * Aborted (with a 503 as its reason) when a stop's drain deadline passes: requests still
   * running end with an error event and are recorded as such, instead of a reset connection.
   */
  readonly shutdown?: Shutdown;
  /** Requests in flight per client address (`server.max_client_requests`). */
  readonly clientSlots?: ClientSlots;
  readonly logger: Logger;
  /** A reason to refuse all traffic (audit storage down without fail_open), or undefined. */
  readonly refusal: () => GatewayError | undefined;
  /** Stored Responses API answers, for `previous_response_id` chains. */
  readonly responses: ResponseStore;
  /** Live requests per key: a revoke or expiry ends them (streams with an error event). */
  readonly sessions?: KeySessions;
}

export interface ClientInfo {
  ip: string | null;
}

export type { Guarded } from "./guarded-request.ts";

/** Names what translation left out for the route that answered (docs/CLIENTS.md). */
const DROPPED_HEADER = "x-mindgw-dropped";

/** Every response names its request; Anthropic's SDK reads `request-id` (its `requestID`). */
const idHeaders = (requestId: string, dialect: Dialect): Record<string, string> =>
  dialect === "anthropic"
    ? { "x-request-id": requestId, "request-id": requestId }
    : { "x-request-id": requestId };

const decoder = new TextDecoder();

/** An unexpected error for the log: its kind and message; never a stack (source paths) or a body. */
const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * The pipelines every client-facing request shares. `guard` accounts for the request,
 * refuses it while draining, authenticates, and maps any error to the caller's dialect —
 * the one place errors become responses. `serveModel` is the model-call pipeline on top.
 */
export function createFrontDoor(deps: FrontDoorDeps) {
  /** The request's record, its headers and the place it holds: one object the layers below share. */
  function ledgerOf(request: Request, client: ClientInfo, frontDoor: FrontDoor): RequestLedger {
    const headers = request.headers;
    return new RequestLedger(
      requestIdOf(headers),
      frontDoor,
      client.ip,
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
    client: ClientInfo,
    frontDoor: FrontDoor,
    dialect: Dialect,
    handle: (guarded: Guarded) => Promise<Response>,
  ): Promise<Response> {
    const ledger = ledgerOf(request, client, frontDoor);
    const headers = idHeaders(ledger.requestId, dialect);
    return run(
      new GuardedRequest(request, client.ip, dialect, deps.runtime(), ledger, headers, deps),
      handle,
    );
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
        deps.logger.error("internal error", { request_id: ledger.requestId, error: describe(error) });
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
    client: ClientInfo,
    operation: Operation,
    path?: string,
  ): Promise<Response> {
    const ledger = ledgerOf(request, client, operation);
    const headers = idHeaders(ledger.requestId, dialectOf(operation));
    return run(
      new ModelCall(request, client.ip, deps.runtime(), ledger, headers, deps, operation, path),
      callModel,
    );
  }

  /** The model-call pipeline, made once: everything per request is on the call. */
  async function callModel(call: ModelCall): Promise<Response> {
    const { request, runtime, principal, ledger, headers, operation, path, dialect } = call;
    const { body, bytes } = await readJsonRequest(request, runtime.maxBody, runtime.bodyTimeout);
    const capture = runtime.captureBodies;
    if (capture) ledger.requestBody = JSON.stringify(body);
    const model = validateBody(operation, body);
    ledger.model = model;
    ledger.stream = body.stream === true;
    deps.observer.started(ledger);
    requireArea(principal, "models");
    assertModelAllowed(principal, model);
    const responses = operation === "responses" ? await responsesOf(call, body) : undefined;
    // Awaited only when the counters are shared (Redis): a local admission needs no turn of its own.
    const admitted = runtime.limits.admit(principal, model);
    Object.assign(headers, admitted instanceof Promise ? await admitted : admitted);
    // One abort for the request: the client leaving, a stop's deadline (503) and a revoke or
    // expiry of the caller's key (401) all end it through the same controller.
    const abort = new RequestAbort(request.signal);
    abort.watch(deps.shutdown, deps.sessions, principal);
    let streaming = false;
    try {
      const dispatching = runtime.router({
        operation,
        body,
        model,
        stream: ledger.stream,
        requestId: ledger.requestId,
        signal: abort.signal,
        followers: abort,
        received: {
          bytes,
          body,
          headers: dialectHeaders(request.headers, dialect),
          query: queryOf(request.url),
          path,
        },
        // The ledger hears each attempt (the route it last tried) and passes it on to telemetry.
        telemetry: ledger.dispatchTelemetry(),
        responses,
      });
      const keepAliveMs = ledger.stream ? runtime.streamKeepAlive : 0;
      const early = keepAliveMs > 0 ? await within(dispatching, keepAliveMs) : await dispatching;
      if (!early) {
        // The first token is slow: commit to a 200 event stream now, with keep-alive comments.
        streaming = true;
        return keptAlive(call, dispatching, keepAliveMs, model, abort);
      }
      const dispatched = early;
      ledger.route = dispatched.route;
      ledger.upstreamModel = dispatched.upstreamModel;
      if (dispatched.dropped.length > 0) {
        ledger.dropped = dispatched.dropped;
        headers[DROPPED_HEADER] = dispatched.dropped.join(", ");
      }
      const reply = dispatched.reply;
      if (reply.kind === "json") {
        ledger.firstByte();
        account(call, dispatched, model);
        if (capture) ledger.responseBody = JSON.stringify(reply.body);
        return Response.json(reply.body, { headers });
      }
      if (reply.kind === "bytes") {
        ledger.firstByte();
        account(call, dispatched, model);
        if (capture) ledger.responseBody = decoder.decode(reply.body);
        // The request's own headers object, finished here (no copy): nothing answers after this.
        headers["content-type"] = reply.contentType;
        return new Response(reply.body, { status: reply.status, headers });
      }
      call.deferred = true;
      streaming = true;
      return streamed(call, dispatched, reply, model, abort);
    } finally {
      if (!streaming) abort.release();
    }
  }

  // The closures a request may need are made in these helpers, on the paths that need them, so
  // the model-call pipeline itself closes over nothing (no scope object for it per request).

  /** The Responses API's context: the stored turns the request continues, and where to store it. */
  function responsesOf(call: ModelCall, body: JsonObject) {
    return responsesContext(
      deps.responses,
      call.principal,
      body,
      (error) =>
        deps.logger.error("storing the response failed", {
          request_id: call.ledger.requestId,
          error: describe(error),
        }),
      call.path === "/responses/compact",
    );
  }

  /** A stream whose first token is slow: a 200 event stream now, with keep-alive comments. */
  function keptAlive(
    call: ModelCall,
    dispatching: Promise<Dispatched>,
    keepAliveMs: number,
    model: string,
    abort: RequestAbort,
  ): Response {
    const { runtime, ledger } = call;
    return keptAliveResponse(dispatching, keepAliveMs, {
      captureBodies: runtime.captureBodies,
      limits: runtime.limits,
      principal: call.principal,
      ledger,
      headers: call.headers,
      dialect: call.dialect,
      model,
      end: call.deferEnd(),
      release: () => abort.release(),
    });
  }

  /** A committed stream, relayed; the request ends (usage, spend, its record) when the stream does. */
  function streamed(
    call: ModelCall,
    dispatched: Dispatched,
    reply: Extract<ClientReply, { kind: "stream" }>,
    model: string,
    abort: RequestAbort,
  ): Response {
    const chunks = reply.chunks;
    return sseResponse(
      call.runtime.captureBodies
        ? captureChunks(chunks, (text) => (call.ledger.responseBody = text))
        : chunks,
      call.dialect,
      call.headers,
      new StreamedEnds(call, dispatched, model, abort),
      reply.errorEvent,
    );
  }

  /** Answers a request that never reached a handler (no such route), and accounts for it. */
  function reject(request: Request, client: ClientInfo, error: GatewayError, dialect: Dialect): Response {
    const ledger = ledgerOf(request, client, "other");
    ledger.finish(error.status, error);
    return errorResponse(error, dialect, idHeaders(ledger.requestId, dialect));
  }

  return { guard, serveModel, reject };
}

/** A committed stream's first byte and end, as one object (no closures per stream). */
class StreamedEnds implements StreamEnds {
  constructor(
    private readonly call: ModelCall,
    private readonly dispatched: Dispatched,
    private readonly model: string,
    private readonly abort: RequestAbort,
  ) {}

  firstByte(): void {
    this.call.ledger.firstByte();
  }

  /** The request ends (usage, spend, its record) when the stream does. */
  end(error?: GatewayError): void {
    this.abort.release();
    account(this.call, this.dispatched, this.model);
    this.call.end(error ? error.status : 200, error);
  }
}

/** What the answer used, charged to the caller's limits and recorded on the ledger. */
function account(call: ModelCall, dispatched: Dispatched, model: string): void {
  const ledger = call.ledger;
  ledger.usage = dispatched.usage();
  ledger.costUsd = call.runtime.limits.record(call.principal, model, ledger.usage, ledger);
}
