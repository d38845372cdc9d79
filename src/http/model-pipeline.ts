import { anthropicLimitHeaders } from "../auth/anthropic-limit-headers.ts";
import { admitHeaders } from "../auth/embedder-admit-headers.ts";
import { assertModelAllowed, requireArea } from "../auth/roles.ts";
import { captureChunks } from "../core/capture-chunks.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import { streamWireOf } from "../core/error-wire.ts";
import { type GatewayError, modelNotFound, toGatewayError } from "../core/gateway-error.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import { account, accountWholeAnswer, chargeFailedAttempts } from "./account-answer.ts";
import { answerResponse } from "./answer-response.ts";
import { dialectHeaders, queryOf } from "./dialect-headers.ts";
import { DROPPED_HEADER, droppedHeaderValue } from "./dropped-header.ts";
import type { FrontDoorDeps } from "./front-door-deps.ts";
import type { GuardSteps } from "./guard-steps.ts";
import { keptAliveResponse } from "./kept-alive-response.ts";
import type { ModelCall } from "./model-call.ts";
import { ModelDispatch } from "./model-dispatch.ts";
import { type ValueWithin, valueWithin } from "./pending-stream.ts";
import { pluginCall } from "./plugin-bound.ts";
import { readJsonRequest } from "./read-json-body.ts";
import { recordedModel, refuseCredentialModel } from "./recorded-model.ts";
import { RequestAbort } from "./request-abort.ts";
import { logSaveError, responsesContext, type StoringContext } from "./responses-context.ts";
import type { Shutdown } from "./shutdown.ts";
import { sseResponse, wholeStreamResponse } from "./sse-response.ts";
import { storedBeforeAnswer } from "./stored-before-answer.ts";
import { streamFailureStatus } from "./stream-failure-status.ts";
import { holdStreamSocket, releaseStreamSocket } from "./stream-socket.ts";
import { streamUsage } from "./stream-usage.ts";
import { StreamedEnds } from "./streamed-ends.ts";
import { validateBody } from "./validate-body.ts";
import { whileOpen } from "./while-open.ts";
import { streamsAnswer, withoutStream } from "./whole-answer-only.ts";
import { wholeUsage } from "./whole-usage.ts";

const decoder = new TextDecoder();

/**
 * The model-call pipeline behind the front door's guard: the body read and checked, the caller's
 * limits, the dispatch, and the answer (whole, streamed, or kept alive while the first token is
 * slow). Made once per front door; everything per request is on the call.
 */
export function modelPipeline(
  deps: FrontDoorDeps,
  steps: GuardSteps,
  /**
   * The open requests, whose clients are polled: the gateway's (a stop ends them too), else one
   * of the front door's own (an embedder's or a test's), so a client's leaving is always seen.
   */
  open: Shutdown,
): (call: ModelCall) => Promise<Response> {
  const admitBound = deps.pluginBounds?.admit;
  /**
   * The model call, guard included: the guard's steps (guard-steps.ts) run in this frame, so a
   * model call is one async function from the caller's arrival to its answer.
   */
  async function callModel(call: ModelCall): Promise<Response> {
    const refused = steps.enter(call);
    if (refused) return refused;
    let abort: RequestAbort | undefined;
    let wait: ValueWithin<Dispatched> | undefined;
    let streaming = false;
    // The stream's socket is held past server.idle_timeout (stream-socket.ts).
    let held = false;
    // The body once read: a client that leaves while an upstream reads it is charged its prompt.
    let prompt: JsonObject | undefined;
    try {
      const caller = steps.admit(call);
      // A caller known at once (a cached key) leaves the body read in the run the request's ledger
      // began: its deadline counts from the ledger's clock reading (read-json-body.ts), not a second.
      const arrivedMs = caller instanceof Promise ? undefined : call.ledger.startedMs;
      steps.known(call, caller instanceof Promise ? await caller : caller);
      const { request, runtime, principal, ledger, headers, operation, path, dialect } = call;
      // One abort for the request: the client leaving (seen by the open requests' poll), a stop's
      // deadline (503) and, once watched below, a revoke or expiry of the caller's key (401) all
      // end it. Among the open requests while the body uploads, which follows it: a stop's drain
      // deadline ends the read with the drain's 503, as any call whose answer has not begun (not a
      // 499 once the listener cuts it off); a body already whole pays no promise or entry for it.
      abort = new RequestAbort(request.signal);
      abort.opened(open);
      const read = await readJsonRequest(request, runtime.maxBody, runtime.bodyTimeout, arrivedMs, abort);
      const capture = runtime.captureBodies;
      // The audit's copy: the bytes as they came, decoded as the row is built (request-ledger.ts).
      if (capture) {
        ledger.auditedRequest = read;
        ledger.auditedMarkLeftOut = read.markLeftOut === true;
      }
      const model = validateBody(operation, read.body);
      const known = runtime.routes(model, principal.tenant);
      ledger.model = recordedModel(model, known);
      // Embeddings, a token count, a compaction: `stream` asks for nothing there, and goes nowhere.
      const streams = streamsAnswer(operation, path);
      const { body, bytes } = streams ? read : withoutStream(read);
      prompt = body;
      ledger.stream = streams && body.stream === true;
      // A stream goes quiet while its upstream thinks, longer than a connection may idle: its
      // socket is held as long as the attempt timeouts allow (stream-socket.ts), from now.
      if (ledger.stream) {
        holdStreamSocket(call);
        held = true;
      }
      deps.observer.started(ledger);
      requireArea(principal, "models");
      assertModelAllowed(principal, model);
      if (!known) throw modelNotFound(model);
      refuseCredentialModel(model, known);
      const responses =
        operation === "responses"
          ? await whileOpen(responsesOf(call, body), request.signal, open)
          : undefined;
      // Read as in flight until stored, or until the request ends (whatever way) without being:
      // tracked in the run the wait resolved in, so a request ended while the store was read (its
      // wait rejected, its context made later all the same) never registers one.
      if (responses) call.responsesEnded = responses.track(deps.inFlight);
      // count_tokens is never billed and never reaches a model: it takes no slot of the caller's
      // limits (Anthropic limits it apart; Claude Code counts before each turn), and its answer has
      // no x-ratelimit-* headers, which would describe a slot it did not take.
      if (operation !== "count_tokens") {
        // Awaited only when the counters are shared (Redis): a local admission needs no turn of its
        // own, and writes its headers into the response's own record (then nothing to add).
        const admitted = runtime.limits.admit(principal, model, headers);
        const limitHeaders =
          admitted instanceof Promise
            ? await whileOpen(admitted, request.signal, open, admitBound && pluginCall(admitBound))
            : admitted;
        // The record itself (the built-in policy's) needs no check; another is the policy's own.
        if (limitHeaders !== headers) Object.assign(headers, admitHeaders(limitHeaders));
        // A Messages caller reads its limits under Anthropic's names (auth/anthropic-limit-headers.ts).
        if (dialect === "anthropic") anthropicLimitHeaders(headers, Date.now());
      }
      abort.watch(undefined, deps.sessions, principal);
      // The row's body is made from the bytes the dispatch holds, spliced or not, when they are the
      // ones read (a body sent on without `stream` is bytes of its own): not from a copy beside them.
      const bytesAudited = capture && bytes === read.bytes;
      const dispatch = new ModelDispatch(
        operation,
        body,
        bytes,
        model,
        ledger.stream,
        ledger.requestId,
        ledger.serial,
        principal.tenant,
        abort,
        dialectHeaders(request.headers, dialect),
        queryOf(request.url),
        path,
        // The ledger hears each attempt (the route it last tried) and passes it on to telemetry.
        ledger.dispatchTelemetry(),
        responses,
        bytesAudited,
      );
      if (bytesAudited) ledger.auditedRequest = dispatch;
      const routed = runtime.router(dispatch);
      // A Responses answer the gateway stores leaves once stored (and one that may add to the
      // record of the scope's containers, once recorded); nothing else waits for anything.
      const dispatching = responses?.waits ? stored(call, routed, responses, model, body) : routed;
      const keepAliveMs = ledger.stream ? runtime.streamKeepAlive : 0;
      // The router opens the first attempt in this run (its reading is on the ledger then): the
      // wait counts from that reading rather than a second one microseconds later.
      wait = keepAliveMs > 0 ? valueWithin(dispatching, keepAliveMs, ledger.firstAttemptMs) : undefined;
      const early = wait ? await wait : await dispatching;
      if (!early) {
        // The first token is slow: commit to a 200 event stream now, with keep-alive comments.
        streaming = true;
        return keptAlive(call, dispatching, keepAliveMs, model, abort, body);
      }
      const dispatched = early;
      ledger.route = dispatched.route;
      ledger.upstreamModel = dispatched.upstreamModel;
      if (dispatched.dropped.length > 0) {
        ledger.dropped = dispatched.dropped;
        headers[DROPPED_HEADER] = droppedHeaderValue(dispatched.dropped);
      }
      const reply = dispatched.reply;
      // A whole answer is handed to Bun once its charge counts on every node (on a cluster node,
      // Redis answered its record: SharedCharge): a client that reads it and asks another
      // node at once finds it counted. A single node's counters count at once: nothing to wait for.
      if (reply.kind === "json") {
        const usage = wholeUsage(dispatched, body, operation);
        const shared = accountWholeAnswer(call, dispatched, model, deps.logger, usage, headers);
        if (capture) ledger.responseBody = JSON.stringify(reply.body);
        if (shared !== undefined) await shared;
        return steps.answered(call, Response.json(reply.body, { headers }));
      }
      if (reply.kind === "bytes") {
        const usage = wholeUsage(dispatched, body, operation);
        const shared = accountWholeAnswer(call, dispatched, model, deps.logger, usage, headers);
        if (capture) ledger.responseBody = decoder.decode(reply.body);
        // The request's own headers object, finished here (no copy): nothing answers after this.
        headers["content-type"] = reply.contentType;
        if (shared !== undefined) await shared;
        return steps.answered(call, answerResponse(reply.body, reply.status, headers));
      }
      const chunks = capture ? captured(call, reply.chunks) : reply.chunks;
      const first = chunks.ready?.();
      if (first !== undefined && chunks.drained) {
        // The whole stream came in its first read, its end with it: answered as a non-stream
        // answer is (its first byte and end one moment; the request's own end after Bun wrote it).
        // Its usage is a stream's: estimated where the upstream sent none; and its headers, which
        // count no tokens of its own, as no stream's can.
        const usage = streamUsage(dispatched, body);
        const shared = accountWholeAnswer(call, dispatched, model, deps.logger, usage);
        // An error event relayed in it still leaves HTTP 200; the record must say it failed.
        const failure = chunks.reported;
        if (failure)
          ledger.finish(streamFailureStatus(failure, chunks, streamWireOf(call.operation)), failure);
        if (shared !== undefined) await shared;
        return steps.answered(call, wholeStreamResponse(first, headers));
      }
      call.deferred = true;
      streaming = true;
      return streamed(call, dispatched, chunks, first, reply.failureEvents, model, abort, body);
    } catch (error) {
      chargeFailedAttempts(call, deps.logger, error, prompt);
      return steps.failed(call, error);
    } finally {
      // Settled or failed, the keep-alive wait leaves its deadline list (on a single node this
      // frame awaits nothing after it, so the wait leaves in the turn it settled; a cluster node's
      // whole answer waits for its record first, which leaves it there a round trip longer).
      wait?.leave();
      if (!streaming) abort?.release();
      // Answered whole (or refused) after a hold: the socket's own idle bound again, before Bun
      // writes the answer.
      if (!streaming && held) releaseStreamSocket(call);
      steps.left(call);
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
      logSaveError(deps.logger, call.ledger.requestId),
      { compact: call.path === "/responses/compact", ...call.socketTurn },
    );
  }

  /**
   * The answer once stored (stored-before-answer.ts): one whose save failed is the caller's 503,
   * recorded with the route that answered and what it used, estimated as any whole answer's is
   * where the upstream did not say.
   */
  function stored(
    call: ModelCall,
    routed: Promise<Dispatched>,
    responses: StoringContext,
    model: string,
    body: JsonObject,
  ) {
    return storedBeforeAnswer(routed, savedWhileOpen(call, responses), (dispatched) => {
      call.ledger.route = dispatched.route;
      call.ledger.upstreamModel = dispatched.upstreamModel;
      account(call, dispatched, model, deps.logger, wholeUsage(dispatched, body, "responses"));
    });
  }

  /**
   * The save the answer waits for, ended as the request is: a save that never settles fails the
   * call when its client leaves (499) or a stop's deadline passes (503). Waited for once.
   */
  function savedWhileOpen(call: ModelCall, responses: StoringContext): Pick<StoringContext, "saved"> {
    let waited: Promise<GatewayError | undefined> | undefined;
    return {
      saved() {
        const saving = responses.saved();
        if (saving === undefined) return undefined;
        waited ??= whileOpen(saving, call.request.signal, open).catch(toGatewayError);
        return waited;
      },
    };
  }

  /** A stream whose first token is slow: a 200 event stream now, with keep-alive comments. */
  function keptAlive(
    call: ModelCall,
    dispatching: Promise<Dispatched>,
    keepAliveMs: number,
    model: string,
    abort: RequestAbort,
    prompt: JsonObject,
  ): Response {
    const { runtime, ledger } = call;
    return keptAliveResponse(dispatching, keepAliveMs, {
      captureBodies: runtime.captureBodies,
      limits: runtime.limits,
      logger: deps.logger,
      principal: call.principal,
      ledger,
      headers: call.headers,
      wire: streamWireOf(call.operation),
      model,
      prompt,
      end: call.deferEnd(),
      release: () => abort.release(),
      closing: () => releaseStreamSocket(call),
      failing: call.socketTurn?.failing,
    });
  }

  /** A stream's chunks with their text kept for the audit row (`audit.bodies`). */
  function captured(call: ModelCall, chunks: ChunkSource): ChunkSource {
    return captureChunks(chunks, (text) => (call.ledger.responseBody = text));
  }

  /** A committed stream, relayed; the request ends (usage, spend, its record) when the stream does. */
  function streamed(
    call: ModelCall,
    dispatched: Dispatched,
    chunks: ChunkSource,
    first: Uint8Array | undefined,
    failureEvents: Extract<ClientReply, { kind: "stream" }>["failureEvents"],
    model: string,
    abort: RequestAbort,
    prompt: JsonObject,
  ): Response {
    return sseResponse(
      chunks,
      streamWireOf(call.operation),
      call.headers,
      new StreamedEnds(call, dispatched, model, abort, prompt, deps.logger),
      first,
      failureEvents,
    );
  }

  return callModel;
}
