import { DEFAULT_TENANT, servesTenant } from "../config/tenant-config.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { OpenRequest, type Shutdown } from "../http/shutdown.ts";
import { MAX_ERROR_BODY } from "../providers/http/read-bounded.ts";
import { namedWorker } from "../providers/upstream-name.ts";
import type { NoWorker } from "../workers/gateway/no-worker.ts";
import type { RegisteredWorker } from "../workers/gateway/registered-worker.ts";
import { judgesWorker, modelNotServed } from "../workers/gateway/server-fault.ts";
import type { TunnelStream } from "../workers/gateway/tunnel-exchange.ts";
import { noWorkerTakes, workerLabel } from "../workers/gateway/worker-provider.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { WorkerTunnel } from "../workers/gateway/worker-tunnel.ts";
import type { RequestFrame, RetryRest } from "../workers/protocol.ts";
import { encodeFrame, type TunnelErrorCode, type WorkerFrame } from "../workers/protocol.ts";
import { readGatewayFrame } from "../workers/read-frame.ts";
import { readMessage } from "../workers/read-message.ts";
import { type DrainCount, holdWhileRunning } from "./drain-hold.ts";
import { whyNamedTakesNone } from "./named-worker-room.ts";
import { servedByOnWire } from "./served-by-wire.ts";

/** What a switch writes to its peer link (a FrameWriter). */
export interface LinkWriter {
  text(frame: string): void;
  chunk(id: number, bytes: Uint8Array): void;
}

export interface FrameSwitchDeps {
  /** `settled`: a relayed 404 judges its worker here, by its body (`Relay`). */
  registry: Pick<WorkerRegistry, "get" | "pick" | "whyNone" | "settled">;
  /** This node's name, for the `servedBy` of every head it passes back. */
  nodeId: string;
  writer: LinkWriter;
  /** This node's requests in flight: a relayed stream counts, so a drain waits for it. */
  lifecycle?: DrainCount;
  /**
   * This node's open requests, as a stop ends them: a relayed stream is one, so when the drain
   * deadline passes it ends as this node's own requests do (an `unavailable` error frame with the
   * stop's words), not later as a lost worker when the workers are closed.
   */
  shutdown?: Pick<Shutdown, "enter" | "leave">;
  /** The link sent something that is not a request, credit or cancel frame: it is closed. */
  fail(problem: string): void;
}

/** A worker tunnel as the switch uses it (worker-tunnel.ts). */
type Relaying = RegisteredWorker &
  Pick<WorkerTunnel, "relay" | "creditRelay" | "cancelRelay" | "releaseRelay" | "name">;

/**
 * Node b's end of a cluster peer link: a frame switch. The other node sends each forwarded call
 * as the request frame it would send a worker; the switch picks the worker (the one named, or
 * any serving the model), maps (link, stream id) ↔ (worker tunnel, stream id) and passes frames
 * on with only the id changed: body chunks keep their bytes, credit and cancel go on to the
 * worker, the worker's head, end and error come back. Nothing is decoded beyond the frame
 * header and the control frames' JSON, and nothing is audited: the row belongs to the node
 * that took the request. A worker lost here fails its streams on the link as `worker_lost`; this
 * node's drain deadline ends them as it ends its own requests (`unavailable`, the stop's words).
 */
export class FrameSwitch {
  private readonly streams = new Map<string, Relay>();
  private done = false;
  /** Told once no stream is relayed any more (`whenIdle`). */
  private onIdle: (() => void) | undefined;

  constructor(private readonly deps: FrameSwitchDeps) {}

  /** One message from the peer link. */
  message(raw: unknown): void {
    if (this.done) return;
    const problem = readMessage(raw, {
      control: (value) => this.control(value),
      chunk: () => this.fail("a peer link carries no request body chunks"),
      stopped: () => this.done,
    });
    if (problem) this.fail(problem);
  }

  /** The link closed: every stream still relayed is cancelled on its worker. */
  closed(): void {
    this.done = true;
    for (const relay of [...this.streams.values()]) relay.cancel();
  }

  /** Streams relayed now (for tests and status). */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Runs `then` once no stream is relayed (at once when none is), after the last one's final frame
   * was handed to the writer: a draining node closes the link then (incoming-links.ts).
   */
  whenIdle(then: () => void): void {
    if (this.streams.size === 0) then();
    else this.onIdle = then;
  }

  private forget(id: string): void {
    this.streams.delete(id);
    if (this.streams.size > 0 || !this.onIdle) return;
    const then = this.onIdle;
    this.onIdle = undefined;
    then();
  }

  private fail(problem: string): void {
    if (this.done) return;
    this.closed();
    this.deps.fail(problem);
  }

  private control(value: unknown) {
    const parsed = readGatewayFrame(value);
    if (!parsed.ok) return this.fail(`malformed frame: ${parsed.problem}`);
    const frame = parsed.frame;
    if (frame.type === "request") return this.open(frame);
    if (frame.type === "credit") return this.streams.get(frame.id)?.credit(frame.bytes);
    if (frame.type === "cancel") return this.streams.get(frame.id)?.cancel(frame.timedOut === true);
    // Answered, so the calling node knows the link (and this node) is alive.
    if (frame.type === "heartbeat")
      return this.deps.writer.text(encodeFrame({ type: "heartbeat", at: frame.at }));
    this.fail(`${frame.type} frame on a peer link`);
  }

  private open(frame: RequestFrame) {
    if (this.streams.has(frame.id)) return this.fail(`stream ${frame.id} opened twice`);
    const { registry } = this.deps;
    const model = typeof frame.body.model === "string" ? frame.body.model : "";
    // The worker the calling node chose (what it serves natively decided how the call was
    // adapted), else the least busy one serving the model, as a local request would get: either
    // only among those the caller's tenant may use.
    const tenant = frame.tenant ?? DEFAULT_TENANT;
    const named = frame.worker !== undefined ? registry.get(frame.worker) : undefined;
    if (frame.worker !== undefined && !(named && servesTenant(named, tenant)))
      return this.refuseGone(frame.id, frame.worker);
    const refused = named && whyNamedTakesNone(named, model);
    if (refused) return this.refuse(frame.id, model, refused);
    const worker = (named ?? registry.pick(model, tenant)) as Partial<Relaying> | undefined;
    if (!worker?.relay) return this.refuse(frame.id, model, registry.whyNone(model, tenant));
    const release = holdWhileRunning(this.deps.lifecycle);
    if (!release) return this.refuseDraining(frame.id);
    const { shutdown } = this.deps;
    const done = () => {
      release();
      shutdown?.leave(relay);
      this.forget(frame.id);
    };
    const relay = new Relay(frame.id, worker as Relaying, this.deps, done);
    this.streams.set(frame.id, relay);
    shutdown?.enter(relay);
    const workerId = worker.relay(frame, relay);
    if (typeof workerId !== "number") {
      // In the worker's own words (gone, or its connection backed up): a busy worker is no lost one.
      this.refuseAsBusy(frame.id, `${workerId.message} (on node ${this.deps.nodeId})`);
      return done();
    }
    relay.workerId = workerId;
  }

  /** This node is draining (or full): refused before any answer, so the calling node tries the next. */
  private refuseDraining(id: string): void {
    this.refuseAsBusy(id, `node ${this.deps.nodeId} is draining or at its request limit`);
  }

  /**
   * Refused before any answer as `unavailable`: the calling node tries the next worker or node, and
   * failing that answers 503 with `Retry-After: 1`, never counted by a breaker (tunnel-failures.ts).
   */
  private refuseAsBusy(id: string, message: string): void {
    this.deps.writer.text(encodeFrame({ type: "error", id, code: "unavailable", message }));
  }

  /** The worker the calling node named is no longer here (or not one its caller may use): another pick may serve. */
  private refuseGone(id: string, named: string): void {
    const message = `${namedWorker(named)} is no longer connected (on node ${this.deps.nodeId})`;
    this.deps.writer.text(encodeFrame({ type: "error", id, code: "unavailable", message }));
  }

  /**
   * No worker here takes it (`why`: the named one's reason, or every one's): refused before any
   * answer, so the calling node tries the next, in the words, code and Retry-After of the HTTP
   * forward's refusal (forward-endpoint.ts), which are a local caller's (worker-provider.ts
   * `noWorkerTakes`): a model whose only worker drains is draining, to come back to in 5 s, not
   * at capacity.
   */
  private refuse(id: string, model: string, why: NoWorker): void {
    const refusal = noWorkerTakes(model, why);
    const retryAfter = refusal.headers["retry-after"];
    this.deps.writer.text(
      encodeFrame({
        type: "error",
        id,
        code: refusal.code === "no_route_available" ? "no_route_available" : "unavailable",
        message: `${refusal.message} (on node ${this.deps.nodeId})`,
        ...(retryAfter ? { retryAfter } : {}),
      }),
    );
  }
}

/**
 * One stream through the switch: the worker's frames out under the link's id. An open request of
 * this node's while it runs (`FrameSwitchDeps.shutdown`).
 */
class Relay extends OpenRequest implements TunnelStream {
  workerId = 0;
  /** A 404 is judged here, by its body (`judgeNotFound`), as a local call's is: the tunnel leaves it. */
  readonly readsNotFound = true;
  /** The worker's head came and was passed on (`TunnelStream`). */
  headed = false;
  private readonly servedBy: string;
  private readonly linkId: number;
  /** A 404's body as it passes, up to what an error's is read to (`MAX_ERROR_BODY`); else unset. */
  private notFound: { contentType: string; body: Uint8Array[]; bytes: number } | undefined;
  /**
   * What the worker's model server had said, to any call, as this one was sent (server-silence.ts:
   * heads not counted), as a local call's exchange keeps it (tunnel-exchange.ts).
   */
  private readonly heardAtSend: number;

  constructor(
    private readonly id: string,
    private readonly worker: Relaying,
    private readonly deps: FrameSwitchDeps,
    private readonly forget: () => void,
  ) {
    super();
    this.servedBy = servedByOnWire(`${workerLabel(worker)}@${deps.nodeId}`);
    this.linkId = Number(id);
    this.heardAtSend = worker.silence?.heard ?? 0;
  }

  /**
   * This node's drain deadline passed: the calling node's client gets the error event a client of
   * this node gets (503, `unavailable`, the stop's words), and the worker stops generating.
   */
  drainEnded(reason: GatewayError): void {
    this.send({ type: "error", id: this.id, code: "unavailable", message: reason.message });
    this.cancel();
  }

  onHead(
    status: number,
    contentType: string,
    retryAfter?: string,
    _servedBy?: string,
    retry?: RetryRest,
  ): void {
    const { id, servedBy } = this;
    this.headed = true;
    if (status === 404) this.notFound = { contentType, body: [], bytes: 0 };
    this.send({
      type: "head",
      id,
      status,
      contentType,
      ...(retryAfter ? { retryAfter } : {}),
      ...(retry ? { retry } : {}),
      servedBy,
    });
  }

  onChunk(bytes: Uint8Array): void {
    const notFound = this.notFound;
    // A copy: `bytes` is a view into the frame, read into again by the next.
    if (notFound && notFound.bytes < MAX_ERROR_BODY) {
      notFound.body.push(bytes.slice(0, MAX_ERROR_BODY - notFound.bytes));
      notFound.bytes += bytes.byteLength;
    }
    this.deps.writer.chunk(this.linkId, bytes);
  }

  // The final frame is handed to the writer before the stream is let go: a drain that waits for
  // the stream (and then closes the link, flushed) never closes it with that frame still unsent.
  onEnd(): void {
    this.send({ type: "end", id: this.id });
    this.finish();
    if (this.notFound) void this.judgeNotFound(this.notFound);
  }

  /**
   * The worker's model server answered 404 whole: one saying it does not serve the model the
   * worker offered counts towards the worker's ejection on this node, as a local call's does
   * (worker-provider.ts `notFound`); a 404 about the request is an answer. The calling node reads
   * the same body to try the next node (forwarding-provider.ts).
   */
  private async judgeNotFound(answer: { contentType: string; body: Uint8Array[] }): Promise<void> {
    const whole = {
      status: 404,
      contentType: answer.contentType,
      retryAfter: undefined,
      body: new Uint8Array(Bun.concatArrayBuffers(answer.body)),
    };
    const fault = await modelNotServed(workerLabel(this.worker), whole);
    if (judgesWorker(fault)) this.deps.registry.settled(this.worker, fault === undefined);
  }

  onError(code: TunnelErrorCode, message: string, retryAfter?: string): void {
    this.send({ type: "error", id: this.id, code, message, ...(retryAfter ? { retryAfter } : {}) });
    this.finish();
  }

  /** `how`: the worker was ended on purpose (`was disconnected: its key was revoked`), said so on the link too. */
  lost(how = "was lost"): void {
    this.send({
      type: "error",
      id: this.id,
      code: "worker_lost",
      message: `${namedWorker(this.worker.name)} ${how}`,
    });
    this.finish();
  }

  credit(bytes: number): void {
    this.worker.creditRelay(this.workerId, bytes);
  }

  /**
   * The calling node left (its client hung up, a timeout) or the link closed. `timedOut`: its
   * longest bound cut the call before the first byte (the cancel's `timedOut`), judged here as a
   * local call's is (try-route.ts `attemptFailed`): a worker whose server said nothing meanwhile, to
   * this call or any other, is counted towards its ejection, as a server that is down.
   */
  cancel(timedOut = false): void {
    this.forget();
    this.worker.cancelRelay(this.workerId);
    const silence = this.worker.silence;
    if (!timedOut || silence === undefined) return;
    silence.cut(this, this.heardAtSend);
    if (silence.answeredNothing(this)) this.deps.registry.settled(this.worker, false);
  }

  private finish(): void {
    this.forget();
    this.worker.releaseRelay(this.workerId);
  }

  private send(frame: WorkerFrame): void {
    this.deps.writer.text(encodeFrame(frame));
  }
}
