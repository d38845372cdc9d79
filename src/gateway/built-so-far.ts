import type { Logger } from "../log/logger.ts";
import { runStopSteps, type StopStep } from "./stop-steps.ts";

/**
 * The parts a gateway's build has made so far, each with what stops it: when a later part fails
 * to build (a provider factory that throws, a cluster that cannot reach Redis), the ones made are
 * stopped, the last made first, as `stop()` would have (stop-steps.ts: each even if one before it
 * fails, each bounded), so a failed `createGateway` leaves no file, thread or connection open.
 */
export class BuiltSoFar {
  private readonly steps: StopStep[] = [];
  private logger: Logger | undefined;
  private drainMs = 0;

  /** Where an undo's failures are logged, and the time it has: known once the config is read. */
  stopsWith(logger: Logger, drainMs: number): void {
    this.logger = logger;
    this.drainMs = drainMs;
  }

  /**
   * `part` is built; `stop` closes it. `closedAfter`: a part made before it that stop() closes
   * first (event sinks attached to the audit's bus are detached after the audit's final flush),
   * where the undo would otherwise close it last made, first. `keepsTime`: as `StopStep`'s.
   */
  made(part: string, stop: StopStep["run"], order: { closedAfter?: string; keepsTime?: true } = {}): void {
    const step: StopStep = { part, run: stop, ...(order.keepsTime ? { keepsTime: true } : {}) };
    const before = this.steps.findIndex((made) => made.part === order.closedAfter);
    if (before < 0) this.steps.push(step);
    else this.steps.splice(before, 0, step);
  }

  /** Stops every part made, the last made first; failures are logged, never thrown over the build's. */
  async undo(): Promise<void> {
    if (this.logger === undefined) return;
    await runStopSteps([...this.steps].reverse(), this.logger, performance.now() + this.drainMs);
  }
}
