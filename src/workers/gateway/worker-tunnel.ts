import { type GatewayError, unavailable } from "../../core/gateway-error.ts";
import { IdTable } from "../../core/id-table.ts";
import type { StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import { namedWorker } from "../../providers/upstream-name.ts";
import type { Answer } from "../answer-frame.ts";
import { MAX_REQUEST_ID } from "../chunk-frame.ts";
import { queuedBytes } from "../frame-writer.ts";
import {
  CloseCode,
  DEFAULT_STREAM_WINDOW,
  encodeFrame,
  type GatewayFrame,
  type RequestFrame,
  type TunnelErrorCode,
  type WorkerFrame,
} from "../protocol.ts";
import { capacityRefusal } from "./capacity-refusal.ts";
import type { RegisteredWorker, TunnelRequest } from "./registered-worker.ts";
import { isServerFault } from "./server-fault.ts";
import { ServerSilence } from "./server-silence.ts";
import { lateFrame, StrayFrameLog, wasIssued } from "./stray-frame-log.ts";
import {
  type ExchangeAnswer,
  type ExchangeLink,
  TunnelExchange,
  type TunnelStream,
} from "./tunnel-exchange.ts";
import { isUpstreamFault } from "./tunnel-failures.ts";
import type { TunnelInit } from "./tunnel-init.ts";
import { largerThan, type OutgoingFrame, TunnelRequestFrames } from "./tunnel-request-frames.ts";

/**
 * A request frame larger than the tunnel's `maxRequestBytes`: the peer would refuse it (and
 * drop the connection), so the caller sends the request another way.
 */
export class RequestTooLarge extends Error {}

export type { TunnelInit, TunnelTransport } from "./tunnel-init.ts";

/**
 * The gateway's end of one worker connection: multiplexes requests over the socket under
 * ids of its own and routes the worker's frames back to their exchanges.
 */
export class WorkerTunnel implements RegisteredWorker {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly tenant: string;
  models: readonly string[];
  readonly capacity: number;
  readonly labels: Readonly<Record<string, string>>;
  responsesApi: boolean;
  readonly version: string | undefined;
  readonly connectedAt: number;
  lastHeartbeatAt: number;
  heardAt: number | undefined = undefined;
  draining = false;
  readonly silence = new ServerSilence();
  /** By the id the tunnel gave the request (a u32 on the wire). */
  private readonly exchanges = new IdTable<TunnelStream>();
  private issued = 0;
  private closed = false;
  /** What every exchange of this tunnel is given (one object, no closures a call). */
  private readonly link: ExchangeLink;
  /** The request frames this tunnel's worker reads. */
  private readonly frames: TunnelRequestFrames;
  /**
   * Requests whose head said the worker's model server failed (`isServerFault`): judged then, not
   * again at their end; and those answered 404 whose reader judges them by the body
   * (`readsNotFound`). Made at the first.
   */
  private faulted: Set<number> | undefined;
  /** What waits for the tunnel to have no request open (`whenIdle`). */
  private onIdle: (() => void) | undefined;
  /** Made at the first frame for an id never issued: most connections never send one. */
  private strays: StrayFrameLog | undefined;

  constructor(private readonly init: TunnelInit) {
    this.id = init.id;
    this.name = init.name;
    this.owner = init.owner;
    this.tenant = init.tenant;
    this.models = init.models;
    this.capacity = init.capacity;
    this.labels = init.labels;
    this.responsesApi = init.responsesApi === true;
    this.version = init.version;
    this.connectedAt = init.now;
    this.lastHeartbeatAt = init.now;
    const window = init.window ?? DEFAULT_STREAM_WINDOW;
    this.frames = new TunnelRequestFrames({
      bodyText: init.bodyText === true,
      binary: init.binaryRequests === true && init.transport.sendBinary !== undefined,
      window,
    });
    this.link = {
      window,
      maxBodyBytes: init.maxBodyBytes ?? 64 * 1024 * 1024,
      sendCredit: (id, bytes) => this.creditRelay(id, bytes),
      sendCancel: (id, call) =>
        this.send(
          init.tellsTimeouts === true && call?.cutAtLongestBound?.() === true
            ? { type: "cancel", id: String(id), timedOut: true }
            : { type: "cancel", id: String(id) },
        ),
      done: (id) => this.releaseRelay(id),
      protocolError: (problem) => this.init.protocolError?.(problem),
      silence: this.silence,
    };
  }

  get inFlight(): number {
    return this.exchanges.size;
  }

  open(request: TunnelRequest): Promise<Response> {
    // Not `lean`: the exchange answers with a Response only.
    return this.start(request, false) as Promise<Response>;
  }

  // A lean exchange answers a non-stream request whole or with a Response, a stream with a feed
  // or a Response: each of these takes one kind of request.
  openWhole(request: TunnelRequest): Promise<Response | WholeAnswer> {
    return this.start(request, true) as Promise<Response | WholeAnswer>;
  }

  openFeed(request: TunnelRequest): Promise<Response | StreamedAnswer> {
    return this.start(request, true) as Promise<Response | StreamedAnswer>;
  }

  private start(request: TunnelRequest, lean: boolean): Promise<ExchangeAnswer> {
    if (this.closed) return Promise.reject(unavailable(`${namedWorker(this.name)} is gone`));
    const id = this.nextId();
    const frame = this.frames.forRequest(id, request);
    const limit = this.init.maxRequestBytes;
    if (limit !== undefined && largerThan(frame, limit))
      return Promise.reject(new RequestTooLarge(`request frame larger than ${limit} bytes`));
    // Refused as a busy worker's, retried on another (a large body queued on a socket the worker
    // does not read would get the connection closed, and the streams open on it cut).
    if (this.init.transport.backedUp?.(queuedBytes(frame))) return Promise.reject(this.backedUp());
    const { signal, stream, worker } = request;
    // Over a peer link the tunnel is named `@<node>`, so a lost stream names `w1@<node>`.
    const workerName = worker ? `${worker}${this.name}` : this.name;
    const exchange = new TunnelExchange(this.link, id, workerName, stream, lean, signal, request.cancel);
    if (request.readsNotFound === true) exchange.readsNotFound = true;
    this.exchanges.set(id, exchange);
    this.write(frame);
    if (signal.aborted) exchange.abort(signal.reason);
    return exchange.response;
  }

  /**
   * A request another node sent over a cluster peer link (src/cluster/frame-switch.ts): sent on
   * under an id of this tunnel, its frames handed to `stream` as they come, counted in this
   * worker's load like any request. Its id, or the refusal when the worker is gone or its connection
   * backed up (a busy worker's, which the calling node fails over without counting it).
   */
  relay(frame: RequestFrame, stream: TunnelStream): number | GatewayError {
    if (this.closed) return unavailable(`${namedWorker(this.name)} is no longer connected`);
    if (this.init.transport.backedUp?.(frame.bodyText?.length ?? 0)) return this.backedUp();
    const id = this.nextId();
    this.exchanges.set(id, stream);
    this.write(this.frames.forRelay(id, frame));
    return id;
  }

  /** A request refused as by a busy worker: the socket would pass its limit and be closed. */
  private backedUp(): GatewayError {
    return capacityRefusal(`${namedWorker(this.name)}: its connection is backed up`);
  }

  /** More credit for a relayed stream, from the other node as its client reads. */
  creditRelay(id: number, bytes: number): void {
    if (!this.exchanges.has(id)) return;
    this.send({ type: "credit", id: String(id), bytes });
    this.init.transport.flush?.();
  }

  /** The other node left a relayed stream: the worker is told, its slot freed. */
  cancelRelay(id: number): void {
    this.faulted?.delete(id);
    if (this.exchanges.delete(id)) this.send({ type: "cancel", id: String(id) });
    if (this.onIdle !== undefined) this.idleNow();
  }

  /** A relayed stream ended (its end or error passed on): its slot is freed. */
  releaseRelay(id: number): void {
    this.exchanges.delete(id);
    this.faulted?.delete(id);
    if (this.onIdle !== undefined) this.idleNow();
  }

  /**
   * Runs `run` once no request is open on the tunnel (at once when none is): a connection that
   * ends the worker after what it has in flight (worker-connection.ts). One at a time.
   */
  whenIdle(run: () => void): void {
    this.onIdle = run;
    this.idleNow();
  }

  private idleNow(): void {
    const run = this.onIdle;
    if (run === undefined || this.exchanges.size > 0) return;
    this.onIdle = undefined;
    run();
  }

  private write(frame: OutgoingFrame): void {
    if (typeof frame === "string") this.init.transport.send(frame);
    else this.init.transport.sendBinary?.(frame);
  }

  private nextId(): number {
    // Ids are u32s on the wire (binary chunk headers); they wrap long after any reuse could clash.
    this.issued = (this.issued % MAX_REQUEST_ID) + 1;
    return this.issued;
  }

  /** One validated frame from the worker, after registration. */
  receive(frame: WorkerFrame): void {
    // The connection's own frames (worker-connection.ts): none is a request's.
    if (frame.type === "heartbeat" || frame.type === "register" || frame.type === "drain") return;
    if (frame.type === "announce") return;
    // Any call's answer, a late one's too, says the model server answers (server-silence.ts): a
    // body byte or an end. A head does not: a server that hangs may send one as it takes each call.
    if (frame.type === "end") this.silence.heard++;
    // A JSON frame's id is the decimal text of one we issued; any other text matches none.
    const id = Number(frame.id);
    const exchange = String(id) === frame.id ? this.exchanges.get(id) : undefined;
    if (!exchange) this.unknown(frame.id, frame.type);
    else if (frame.type === "head") {
      if (exchange.headed) this.misplaced(`a second head for request ${id}`);
      else {
        this.judgeHead(id, frame.status, exchange);
        exchange.onHead(frame.status, frame.contentType, frame.retryAfter, frame.servedBy, frame.retry);
      }
    } else if (frame.type === "end") {
      // Checked before it is judged an answer: an end before the head is none.
      if (!exchange.headed) this.misplaced(`an end for request ${id} before its head`);
      else {
        this.ended(id, true);
        exchange.onEnd();
      }
    } else {
      // Judged before the exchange fails: its retry picks a worker at once.
      if (isUpstreamFault(frame.code)) this.ended(id, false);
      exchange.onError(frame.code, frame.message, frame.retryAfter);
    }
  }

  /**
   * A head saying the worker's model server failed (refused its key, a 5xx) judges the worker at
   * once, as the worker's report that it could not reach the server does: before the exchange
   * answers, so the request's re-pick and the next requests pass over a worker taken out.
   */
  private judgeHead(id: number, status: number, stream: TunnelStream): void {
    const fault = isServerFault(status);
    // A 404 is judged where its body is read, when it is (a model call's, a relayed one's): a model
    // the server does not serve is the worker's fault, an item not found the caller's. Any other
    // (a stored response not found) is an answer, judged at its end.
    if (!fault && !(status === 404 && stream.readsNotFound === true)) return;
    this.faulted ??= new Set();
    this.faulted.add(id);
    if (fault) this.init.settled?.(false);
  }

  /** A request ended on the worker: its upstream answered, or failed; judged once (`judgeHead`). */
  private ended(id: number, answered: boolean): void {
    if (this.faulted?.delete(id)) return;
    this.init.settled?.(answered);
  }

  /** A binary answer frame (answer-frame.ts): a head, an end, or both around a whole body. */
  receiveAnswer(answer: Answer) {
    // Read out first: `answer` is the connection's, read into again by its next frame.
    const { id, status, contentType, retryAfter, body, end } = answer;
    // A head alone is not the server speaking (`receive`).
    if (end || body.byteLength > 0) this.silence.heard++;
    const exchange = this.exchanges.get(id);
    if (!exchange) return this.unknown(id, status ? "head" : "end");
    if (status) {
      if (exchange.headed) return this.misplaced(`a second head for request ${id}`);
      this.judgeHead(id, status, exchange);
      exchange.onHead(status, contentType, retryAfter);
    }
    // Checked before an end is judged an answer: one before the head is none.
    const what = body.byteLength > 0 ? "a body chunk" : "an end";
    if (!exchange.headed) return this.misplaced(`${what} for request ${id} before its head`);
    if (body.byteLength > 0) exchange.onChunk(body);
    if (!end) return;
    this.ended(id, true);
    exchange.onEnd();
  }

  /** One body chunk from a binary frame. */
  receiveChunk(id: number, bytes: Uint8Array): void {
    this.silence.heard++;
    const exchange = this.exchanges.get(id);
    if (!exchange) this.unknown(id, "chunk");
    else if (exchange.headed) exchange.onChunk(bytes);
    else this.misplaced(`a body chunk for request ${id} before its head`);
  }

  /**
   * A request's frame out of order (`problem`): a body or an end before its head, a second head. A
   * protocol error on the worker's own connection, a relayed call's (cluster/frame-switch.ts) as a
   * local one's: closed, its calls failed as the worker lost. A peer link's tunnel drops the frame.
   */
  private misplaced(problem: string): void {
    this.init.protocolError?.(problem);
  }

  private unknown(id: number | string, type: string): void {
    // Late frames for a cancelled exchange are expected; an id never issued is not, and is said
    // at warn, its repeats held back (stray-frame-log.ts).
    if (wasIssued(id, this.issued)) lateFrame(this.init.log, this.name, id, type);
    else {
      this.strays ??= new StrayFrameLog(this.init.log, this.name);
      this.strays.stray(String(id), type);
    }
  }

  send(frame: GatewayFrame): void {
    if (!this.closed) this.init.transport.send(encodeFrame(frame));
  }

  /** Ends every open exchange as the worker's error frame `code` would (before the connection closes). */
  endOpen(code: TunnelErrorCode, message: string): void {
    for (const exchange of this.exchanges.values()) exchange.onError(code, message);
    this.exchanges.clear();
    this.faulted = undefined;
  }

  /**
   * Closes the connection; what is open fails as the worker lost, or as `how` says it was ended
   * (`was disconnected: its key was revoked`).
   */
  close(code: number = CloseCode.normal, reason = "closed", how?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of this.exchanges.values()) exchange.lost(how);
    this.init.transport.close(code, reason);
  }
}
