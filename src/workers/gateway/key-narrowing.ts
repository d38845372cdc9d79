import type { After } from "../../core/after.ts";
import { CloseCode, type GatewayFrame } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { WorkerRegistry } from "./worker-registry.ts";
import type { WorkerTunnel } from "./worker-tunnel.ts";

/** The `rejected` message of a key that permits none of the models a worker offers. */
export const NONE_PERMITTED = "none of the offered models is permitted for this key";

/** What a connection lends its key's narrowing. */
export interface KeyNarrowingDeps {
  registry: WorkerRegistry;
  /** The key's name, as the log lines give it. */
  keyName: string;
  log: WorkerLog;
  /** What a worker whose key permits none of its models has to finish its calls, read as it narrows. */
  drainMs: () => number;
  /** The drain's deadline's timer. */
  after: After;
  send: (frame: GatewayFrame) => void;
  /** Ends the connection's state (its timers, this narrowing's deadline); false when it had already. */
  end: () => boolean;
}

/**
 * A connected worker's key changed what it permits (worker-connection.ts `keyModels`): the worker
 * is routed the models it offered that the key permits now; permitted none, it drains and is then
 * refused (`retire`), unless the key permits some again first (`recall`).
 */
export class KeyNarrowing {
  /**
   * Set while the key permits none of the worker's models: which narrowing to none it is (counted
   * here: `After` promises no cancel of its own to each call), and the cancel of its drain's deadline.
   */
  private retiring: { readonly narrowing: number; readonly cancel: () => void } | undefined;
  private narrowings = 0;

  constructor(private readonly deps: KeyNarrowingDeps) {}

  /**
   * The key permits `permitted` of the worker's models now. `drainedItself`: the worker announced
   * a drain of its own, which a widened key does not call off.
   */
  permits(to: WorkerTunnel, permitted: readonly string[], drainedItself: boolean): void {
    if (permitted.length === 0) {
      if (this.retiring === undefined) this.retire(to);
    } else if (this.retiring !== undefined) this.recall(to, permitted, drainedItself);
    else this.deps.registry.serveOnly(to, permitted);
  }

  /** The connection ended: no refusal is left to come. */
  stop(): void {
    this.retiring?.cancel();
  }

  /**
   * The key permits none of the worker's models any more: ended as a drain is, not as a protocol
   * error or a worker lost. Picked for nothing new from now on; once what it has in flight has
   * ended, or at `drainMs` (what is still open then ends as a draining worker's refusal, tried on
   * another worker before its first event), it is told `rejected` (`no_models`) and closed.
   */
  private retire(to: WorkerTunnel): void {
    const drainMs = this.deps.drainMs();
    this.deps.log("warn", "worker's key permits none of its models any more: it drains, then is refused", {
      key: this.deps.keyName,
      worker: to.name,
      in_flight: to.inFlight,
      drain_ms: drainMs,
    });
    this.deps.registry.drain(to);
    const narrowing = ++this.narrowings;
    this.retiring = { narrowing, cancel: this.deps.after(drainMs, () => this.refuse(to)) };
    // Called off (`recall`), this drain ends nothing when the worker goes idle; a later narrowing
    // sets its own.
    to.whenIdle(() => {
      if (this.retiring?.narrowing === narrowing) this.refuse(to);
    });
  }

  /**
   * The key permits some of the worker's models again before its drain ended (an admin undoing a
   * narrowing): the refusal is called off and the worker is picked again for those, on the same
   * connection; still draining when it had announced a drain of its own.
   */
  private recall(to: WorkerTunnel, permitted: readonly string[], drainedItself: boolean): void {
    this.retiring?.cancel();
    this.retiring = undefined;
    this.deps.log("info", "worker's key permits some of its models again: its drain is called off", {
      key: this.deps.keyName,
      worker: to.name,
      models: permitted,
    });
    if (drainedItself) this.deps.registry.serveOnly(to, permitted);
    else this.deps.registry.resume(to, permitted);
  }

  private refuse(to: WorkerTunnel): void {
    if (!this.deps.end()) return;
    this.deps.send({ type: "rejected", reason: "no_models", message: NONE_PERMITTED });
    const reason = "its key permits none of its models";
    this.deps.registry.remove(to, reason, true);
    to.endOpen("draining", "its key no longer permits its models");
    to.close(CloseCode.protocolError, reason);
  }
}
