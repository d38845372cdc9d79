import type { WorkerLog } from "../worker-log.ts";
import type { RegisteredWorker } from "./registered-worker.ts";

/** When a worker whose model server keeps failing is passed over, and for how long. */
export interface EjectionPolicy {
  /** Requests in a row that end in the worker's upstream fault before it is taken out. */
  readonly failures: number;
  readonly cooldownMs: number;
}

/**
 * Three faults in a row, then 30 s out: the circuit breaker's default cooldown. Fixed, not
 * configured: a worker comes back on its own after it, or at once on reconnecting.
 */
export const DEFAULT_EJECTION: EjectionPolicy = { failures: 3, cooldownMs: 30_000 };

interface Health {
  /**
   * Requests in a row its upstream failed (`upstream_unreachable`, `upstream_broken`, or an answer
   * of its own fault: a refused key, a 5xx).
   */
  faults: number;
  /** Until when it is passed over, on the liveness clock; 0 when it is in rotation. */
  until: number;
}

/**
 * Each worker's own health, as the route's breaker cannot judge it: `workers/<model>` covers
 * every worker of the model, so one worker whose model server is down must neither open it nor
 * keep taking its share of requests. After `failures` requests in a row end in its upstream's
 * fault the worker is ejected for `cooldownMs`; then it is picked again, and one more fault ejects
 * it at once while an answer puts it back. The registry passes over an ejected worker only while
 * another one serves the model (worker-registry.ts `pick`).
 */
export class WorkerEjection {
  private readonly health = new WeakMap<RegisteredWorker, Health>();

  /**
   * `now` is the wall clock `ejectedUntil` answers in; the cooldown runs on `liveness`, a clock NTP
   * never steps (the registry's), so a step back of the wall clock keeps no worker out longer.
   */
  constructor(
    private readonly policy: EjectionPolicy,
    private readonly now: () => number,
    private readonly log: WorkerLog,
    private readonly liveness: () => number = now,
  ) {}

  /** A request ended on the worker: answered by its upstream, or failed by it. */
  settled(worker: RegisteredWorker, answered: boolean): void {
    const health = this.health.get(worker);
    if (answered) {
      if (!health) return;
      this.health.delete(worker);
      if (health.faults >= this.policy.failures)
        this.log("info", "worker back in rotation: its upstream answered", { worker: worker.name });
      return;
    }
    const next = health ?? { faults: 0, until: 0 };
    next.faults++;
    this.health.set(worker, next);
    if (next.faults < this.policy.failures) return;
    const at = this.liveness();
    const ejecting = next.until <= at;
    next.until = at + this.policy.cooldownMs;
    if (ejecting)
      this.log("warn", "worker taken out of rotation: its upstream keeps failing", {
        worker: worker.name,
        failures: next.faults,
        cooldown_ms: this.policy.cooldownMs,
      });
  }

  /** Until when the worker is passed over (epoch ms), or undefined while it is in rotation. */
  ejectedUntil(worker: RegisteredWorker): number | undefined {
    // Asked of every candidate of every pick: no clock read for a worker never taken out.
    const until = this.health.get(worker)?.until ?? 0;
    if (until === 0) return undefined;
    const left = until - this.liveness();
    return left > 0 ? this.now() + left : undefined;
  }
}
