import type { Tracer } from "@opentelemetry/api";
import { IdTable } from "../../core/id-table.ts";
import { answerFetch, createUpstreamFetch, streamFetch } from "../../providers/http/upstream-fetch.ts";
import { workerHop } from "../../telemetry/tracing/worker-hop.ts";
import { BATCH_KIND, BatchReader, TEXT_KIND } from "../batch-frame.ts";
import { CloseCode, decodeJson, type GatewayFrame, MAX_CHUNK_BYTES } from "../protocol.ts";
import { readGatewayFrame } from "../read-frame.ts";
import { decodeRequestFrame, REQUEST_KIND, RequestRead } from "../request-frame.ts";
import { SilenceWatch } from "../silence-watch.ts";
import type { WorkerLog } from "../worker-log.ts";
import { connectFailure, upgradeStatus } from "./connect-failure.ts";
import { FailureLog } from "./failure-log.ts";
import { GatewaySender } from "./gateway-sender.ts";
import { type ClientSocket, dialGateway } from "./gateway-socket.ts";
import { type RegisterFrame, registerFrame, type WorkerIdentity } from "./register-frame.ts";
import type { Announced, SessionEnd } from "./session-end.ts";
import { StreamCredit } from "./stream-credit.ts";
import { callUpstream, chunkBytesFor, type UpstreamCallContext } from "./upstream-call.ts";
import { workerLeanMode } from "./worker-lean-mode.ts";

/** The cancel of the calls the worker's own end cuts, told apart from the gateway's `cancel` frame. */
const WORKER_STOPPED = new DOMException("the worker's connection ended", "AbortError");

export interface SessionOptions extends WorkerIdentity {
  url: URL;
  token: string;
  upstream: string;
  upstreamApiKey?: string;
  log: WorkerLog;
  /** Spans for tunnelled requests; undefined when tracing is off. */
  tracer?: Tracer;
}

export type { Announced, SessionEnd } from "./session-end.ts";

/** How long the upgrade and the registration may take together. */
const REGISTER_TIMEOUT_MS = 15_000;

/** One connection to the gateway: registers, serves requests, heartbeats, ends once. */
export class WorkerSession {
  readonly ended: Promise<SessionEnd>;
  /**
   * Settles once the gateway answered `register`: true when it registered the worker (its
   * `registered` frame then said what it reads), false when the connection ended first.
   */
  readonly registration: Promise<boolean>;
  private settleRegistration!: (registered: boolean) => void;
  /** What the worker registers with on this connection, its first frame. */
  readonly register: RegisterFrame;
  private end!: (end: SessionEnd) => void;
  private readonly socket: ClientSocket;
  /**
   * Each call's cancel and credit, by request id as a number (the decimal text of a u32 on the
   * wire: protocol.ts): an IdTable, not a long-lived Map, whose deleted entries young collections
   * would keep (core/id-table.ts); numbers, as a frame's freshly decoded id text costs the table
   * ~0.3-0.5 µs a call more to look up than its number (docs/BENCHMARKS-HISTORY.md, "Session 12:
   * the worker route").
   */
  private readonly calls = new IdTable<StreamCredit>();
  /**
   * Calls the gateway's `cancel` frame cut that are still unwinding (their upstream fetch not yet
   * settled): the gateway freed their slots when it sent the frame, and may send the next request
   * at once (a client's stop and regenerate), so they count against `--concurrency` no more.
   */
  private cancelling = 0;
  /** Each binary request frame is read into this one object (request-frame.ts). */
  private readonly requestRead = new RequestRead();
  /** Each batch message is read where it is, through this one reader (batch-frame.ts). */
  private readonly batch = new BatchReader();
  private registered = false;
  /** The connection ended (closed or given up on): nothing more is sent or served. */
  private over = false;
  /** The gateway reads `announce` frames (protocol.ts). */
  private readsAnnounce = false;
  private draining = false;
  private rejected: SessionEnd | undefined;
  /** Why the socket failed, from its error event (which comes before the close). */
  private failure: string | undefined;
  /** The upgrade's answer, from the same event. */
  private upgradeStatus: number | undefined;
  /** The gateway's heartbeats watched, once registered. */
  private silence: SilenceWatch | undefined;
  private readonly registerTimer: ReturnType<typeof setTimeout>;
  private timers: ReturnType<typeof setInterval>[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly upstreamFetch = createUpstreamFetch({
    inFlight: () => this.calls.size,
    lean: workerLeanMode(),
  });
  /** Every frame to the gateway goes through it, binary where the gateway reads it. */
  private readonly sender: GatewaySender;
  /** What every tunnelled call is given (one for the session). */
  private readonly upstream: UpstreamCallContext;

  constructor(private readonly options: SessionOptions) {
    this.ended = new Promise((resolve) => {
      this.end = resolve;
    });
    this.registration = new Promise((resolve) => {
      this.settleRegistration = resolve;
    });
    this.socket = dialGateway(options.url, options.token);
    const open = () => this.socket.readyState === WebSocket.OPEN;
    // Bun's client socket cannot cork: what the writer gathers leaves as one batch message
    // once the gateway says it reads them (until then, frame by frame).
    const sender = new GatewaySender({
      text: (text) => void (open() && this.socket.send(text)),
      binary: (bytes) => void (open() && this.socket.send(bytes)),
    });
    this.sender = sender;
    const { writer } = sender;
    this.upstream = {
      base: options.upstream,
      urls: new Map(),
      ...(options.upstreamApiKey ? { apiKey: options.upstreamApiKey } : {}),
      // The sender and its writer captured, not read off the session: a frame loads nothing more.
      send: (frame, hop) => {
        hop.observe(frame);
        sender.send(frame);
      },
      sendWhole: sender.sendWhole,
      sendChunk: (id, bytes) => writer.chunk(id, bytes),
      maxChunkBytes: MAX_CHUNK_BYTES,
      fetch: answerFetch(this.upstreamFetch),
      stream: streamFetch(this.upstreamFetch),
      failures: new FailureLog(options.upstream, options.log),
      ended: (call, hop) => {
        hop.end(
          !call.cancelled ? undefined : call.reason === WORKER_STOPPED ? "worker_stopped" : "cancelled",
        );
        // Uncounted as it was counted: by the call's own mark, whatever reason cut it.
        if (call.freed) this.cancelling--;
        this.calls.delete(call.key);
        if (this.calls.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      },
    };
    // A gateway that is frozen still has its kernel accept the connection: the upgrade or the
    // register is never answered (no heartbeats watched yet), and a close would wait on it as long.
    this.registerTimer = setTimeout(
      () => this.abandon(CloseCode.goingAway, "no answer to the upgrade or register", true),
      REGISTER_TIMEOUT_MS,
    );
    this.register = registerFrame(options);
    this.socket.onopen = () => this.sender.send(this.register);
    this.socket.onerror = (event) => {
      this.failure ??= connectFailure(event);
      this.upgradeStatus ??= upgradeStatus(event);
    };
    this.socket.onmessage = (event) => this.receive(event.data);
    this.socket.onclose = (event) => {
      this.shutdown();
      this.end(
        this.rejected ?? {
          kind: "closed",
          registered: this.registered,
          code: event.code,
          reason: event.reason,
          ...(this.failure ? { failure: this.failure } : {}),
          ...(this.upgradeStatus === undefined ? {} : { status: this.upgradeStatus }),
        },
      );
    };
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /** Registered, and the connection not ended: the gateway may route calls here, a drain has something to drain. */
  get isServing(): boolean {
    return this.registered && !this.over;
  }

  /**
   * Tells the gateway what the upstream serves now (`apis`, as `register` names them), on this
   * connection, where it reads the frame (`Announced`): a gateway of an earlier release is told
   * only by registering again. Ask once `registration` settled: until then whether the gateway
   * reads it is not known.
   */
  announce(apis: string[]): Announced {
    if (!this.isServing) return "unregistered";
    if (!this.readsAnnounce) return "unread";
    this.sender.send({ type: "announce", apis });
    return "sent";
  }

  /** Tells the gateway to stop routing here; later requests are refused as `draining`. */
  drain(): void {
    this.draining = true;
    if (this.registered) this.sender.send({ type: "drain" });
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(code: number = CloseCode.normal, reason = ""): void {
    this.sender.writer.flush();
    this.socket.close(code, reason);
  }

  /**
   * Ends the connection now (a second signal): the close frame sent for a gateway that still reads,
   * the calls cut, and the session over without waiting on the close handshake, which a frozen or
   * cut-off gateway never answers (Bun would wait ~30 s for it).
   */
  stopNow(reason: string): void {
    if (this.over) return;
    this.close(CloseCode.goingAway, reason);
    this.abandon(CloseCode.goingAway, reason);
  }

  private receive(data: unknown) {
    this.silence?.heard();
    if (!(data instanceof ArrayBuffer)) {
      this.control(data);
      return;
    }
    // The gateway sends no chunks: a binary message is a request frame or a batch of them and
    // control frames.
    const bytes = new Uint8Array(data);
    if (bytes[0] === REQUEST_KIND) return this.binaryRequest(bytes, 0, bytes.byteLength);
    if (bytes[0] !== BATCH_KIND) return this.malformed("binary frame that is neither a batch nor a request");
    const { batch } = this;
    const problem = batch.over(bytes);
    if (problem !== undefined) return this.malformed(problem);
    for (let kind = batch.next(); kind >= 0; kind = batch.next()) {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      if (kind === TEXT_KIND) this.control(batch.text());
      else if (kind === REQUEST_KIND) this.binaryRequest(bytes, batch.start, batch.end);
      else return this.malformed("a chunk or answer frame from the gateway");
    }
  }

  private malformed(problem: string): void {
    this.options.log("warn", "gateway sent a malformed frame", { problem });
    this.close(CloseCode.protocolError, "malformed frame");
  }

  /** A binary request frame at `[start, end)` of `bytes`: the client's body as bytes (request-frame.ts). */
  private binaryRequest(bytes: Uint8Array, start: number, end: number) {
    const decoded = decodeRequestFrame(bytes, this.requestRead, start, end);
    if (typeof decoded === "string") return this.malformed(decoded);
    this.onRequest(decoded.request, decoded.body);
  }

  private control(data: unknown) {
    const parsed = readGatewayFrame(typeof data === "string" ? decodeJson(data) : undefined);
    if (!parsed.ok) return this.malformed(parsed.problem);
    const frame = parsed.frame;
    if (frame.type === "registered") this.onRegistered(frame);
    else if (frame.type === "request") this.onRequest(frame);
    else if (frame.type === "credit") this.calls.get(Number(frame.id))?.grant(frame.bytes);
    else if (frame.type === "cancel") this.onCancel(Number(frame.id));
    else if (frame.type === "rejected") {
      this.rejected = { kind: "rejected", reason: frame.reason, message: frame.message };
      this.close(CloseCode.normal, "rejected");
    }
  }

  private onRegistered(frame: Extract<GatewayFrame, { type: "registered" }>): void {
    this.registered = true;
    clearTimeout(this.registerTimer);
    this.upstream.maxChunkBytes = chunkBytesFor(frame.maxMessageBytes);
    this.sender.agreed(frame);
    this.readsAnnounce = frame.announce === true;
    this.settleRegistration(true);
    const log = this.options.log;
    log("info", "registered with the gateway", { worker_id: frame.workerId, models: frame.accepted });
    for (const refused of frame.refused) log("warn", "gateway refused a model", refused);
    if (this.draining) this.sender.send({ type: "drain" });
    const beat = setInterval(
      () => this.sender.send({ type: "heartbeat", at: Date.now() }),
      frame.heartbeatMs,
    );
    const silence = new SilenceWatch(frame.heartbeatTimeoutMs, frame.heartbeatMs);
    this.silence = silence;
    const watch = setInterval(() => {
      const silentMs = silence.silentPastTimeout();
      if (silentMs === undefined) return;
      log("warn", "the gateway stopped answering; dropping the connection", { silent_ms: silentMs });
      this.abandon(CloseCode.heartbeatTimeout, "heartbeat timeout");
    }, frame.heartbeatMs);
    this.timers.push(beat, watch);
  }

  /** `body`: the client's bytes, from a binary request frame. */
  private onRequest(frame: Extract<GatewayFrame, { type: "request" }>, body?: Uint8Array<ArrayBuffer>): void {
    const { id } = frame;
    const key = Number(id);
    if (this.calls.has(key)) return;
    const refusal = this.draining
      ? "draining"
      : this.calls.size - this.cancelling >= this.options.concurrency
        ? "over_capacity"
        : undefined;
    if (refusal) {
      const message = refusal === "draining" ? "worker is draining" : "worker is at its concurrency limit";
      this.sender.send({ type: "error", id, code: refusal, message });
      return;
    }
    const hop = workerHop(this.options.tracer, frame, this.options.name);
    const call = new StreamCredit(key, frame.window);
    this.calls.set(key, call);
    // To its end, which `upstream.ended` sees; it never rejects.
    void callUpstream(frame, this.upstream, call, hop, body);
  }

  /** The gateway's `cancel`: the call is cut, and its slot is free from now on, as at the gateway. */
  private onCancel(key: number): void {
    const call = this.calls.get(key);
    if (call === undefined || call.cancelled) return;
    call.cancel();
    call.freed = true;
    this.cancelling++;
  }

  /**
   * Gives up on a gateway that stopped answering, at once: a frozen or cut-off peer never
   * completes a close handshake (Bun would wait ~30 s for it), so the socket is dropped without
   * one, the calls are cancelled and the session ends now, for the worker to dial again.
   */
  private abandon(code: number, reason: string, unanswered = false): void {
    this.shutdown();
    this.end(
      this.rejected ?? {
        kind: "closed",
        registered: this.registered,
        code,
        reason,
        ...(unanswered ? { unanswered: true } : {}),
      },
    );
    this.socket.terminate();
  }

  /** The connection is gone: nobody can receive these answers any more. Safe to call twice. */
  private shutdown(): void {
    this.over = true;
    this.settleRegistration(false);
    clearTimeout(this.registerTimer);
    for (const timer of this.timers) clearInterval(timer);
    for (const call of this.calls.values()) call.cancel(WORKER_STOPPED);
  }
}
