import { GatewayError } from "../core/gateway-error.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import { CallCancel } from "../providers/http/call-cancel.ts";
import type { Provider } from "../providers/provider.ts";

/** How long a calling node's `POST /cluster/v1/cancel` may take (forward-over-http.ts): none comes later. */
export const FORWARD_CANCEL_TIMEOUT_MS = 5000;

/** A running forward as its cancel finds it: cut, told whether a bound cut it on the calling node. */
interface Cuttable {
  cut(timedOut: boolean): void;
}

/** A forward its connection's close cut, as a later cancel saying `timedOut` finds it. */
interface Judgeable {
  judge(): void;
}

/**
 * The forwards under way on this node by forwardId, for `POST /cluster/v1/cancel` (forward-endpoint.ts).
 * A calling node that leaves a forward closes its connection and posts the cancel at once, on
 * another connection, so the cancel may come after the close has cut the forward; it is the cancel
 * that says whether the calling node's bound cut the call (`timedOut`), which the worker's server
 * is judged by. So a forward the close cut is kept until its cancel comes, no longer than a cancel
 * may take.
 */
export class ForwardCancels {
  private readonly running = new Map<string, Cuttable>();
  /** Forwards the close cut: the verdict their cancel may ask, and until when; in the order of their ends. */
  private readonly closed = new Map<string, { until: number; forward: Judgeable }>();

  constructor(
    private readonly keepMs = FORWARD_CANCEL_TIMEOUT_MS,
    private readonly now: () => number = monotonicClock,
  ) {}

  /** `forwardId` runs; cut when its cancel comes. */
  run(forwardId: string, forward: Cuttable): void {
    this.running.set(forwardId, forward);
  }

  /** It is over (answered, failed or cut): a cancel now finds nothing running. */
  end(forwardId: string): void {
    this.running.delete(forwardId);
  }

  /** Its calling node's connection closed and cut it: judged if its cancel comes saying `timedOut`. */
  cutByClose(forwardId: string, forward: Judgeable): void {
    const now = this.now();
    for (const [id, kept] of this.closed) {
      if (kept.until > now) break;
      this.closed.delete(id);
    }
    this.closed.set(forwardId, { until: now + this.keepMs, forward });
  }

  /** The calling node's cancel: the forward is cut, or was by the close, and judged if `timedOut`. */
  cancel(forwardId: string, timedOut: boolean): void {
    const running = this.running.get(forwardId);
    if (running) {
      running.cut(timedOut);
      return;
    }
    const kept = this.closed.get(forwardId);
    if (kept === undefined) return;
    this.closed.delete(forwardId);
    if (timedOut && kept.until > this.now()) kept.forward.judge();
  }
}

const ignore = () => {};

/**
 * One forward on the node holding its worker, from its start (running in `cancels`) to its end:
 * the hook the worker's call runs under, as a router's attempt is (the worker's exchange cuts it
 * with what its server had said as the call was sent, for the verdict a timed-out cancel asks),
 * and the listener of its connection's close (`handleEvent`): one object a forward, no closures.
 */
export class ForwardCut extends CallCancel implements Cuttable, Judgeable {
  /** The worker's answer once it streams back (`relaying`): from then a cancel ends the forward. */
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  constructor(
    private readonly cancels: ForwardCancels,
    private readonly forwardId: string,
    /** The worker provider the call went to, which judges its server (`silenced`). */
    private readonly worker: Pick<Provider, "silenced">,
    /** Lets a drain go on: the forward no longer counts. */
    private readonly release: () => void,
  ) {
    super();
    cancels.run(forwardId, this);
  }

  /** Over (answered, failed, or cut while its answer streamed): no longer running here. */
  done(): void {
    this.cancels.end(this.forwardId);
    this.release();
  }

  /** Its answer streams back from `reader`: a cancel ends the forward and cancels the worker's body. */
  relaying(reader: ReadableStreamDefaultReader<Uint8Array>): void {
    this.reader = reader;
  }

  /** The calling node's cancel. */
  cut(timedOut: boolean): void {
    if (this.reader) this.done();
    this.leave();
    if (timedOut) this.judge();
    this.reader?.cancel(this.reason).catch(ignore);
  }

  /**
   * Judged as a call the peer link relays is (frame-switch.ts Relay.cancel): a cut at the calling
   * node's longest bound, its server silent meanwhile, counts towards taking it out.
   */
  judge(): void {
    this.worker.silenced?.(this);
  }

  /** The calling node's connection closed (or the relayed body was cancelled): its cancel may come after. */
  closed(): void {
    if (this.cancelled) return;
    this.leave();
    this.cancels.cutByClose(this.forwardId, this);
  }

  /** The forward request's signal aborted: its connection closed. */
  handleEvent(): void {
    this.closed();
  }

  private leave(): void {
    this.cancel(new GatewayError({ status: 499, code: "client_closed", message: "forwarding node left" }));
  }
}
