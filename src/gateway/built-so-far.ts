import type { Logger } from "../log/logger.ts";
import { STOP_ORDER, type StopPart, type StopPhase } from "./stop-order.ts";
import { runStopSteps, type StopStep } from "./stop-steps.ts";

/**
 * The parts a gateway's build has made so far, each with what stops it: when a later part fails
 * to build (a provider factory that throws, a cluster that cannot reach Redis), the ones made are
 * stopped in `stop()`'s order (stop-order.ts: each even if one before it fails, each bounded), so a
 * failed `createGateway` leaves no file, thread or connection open. Once the build is done, the
 * same steps are `stop()`'s (`stopSteps`).
 */
export class BuiltSoFar {
  private readonly steps = new Map<StopPart, StopStep>();
  private logger: Logger | undefined;
  private drainMs = 0;

  /** Where an undo's failures are logged, and the time it has: known once the config is read. */
  stopsWith(logger: Logger, drainMs: number): void {
    this.logger = logger;
    this.drainMs = drainMs;
  }

  /**
   * `part` is built; `stop` stops it. `named`: how a failure to stop it is told, when the part's
   * own name says less (whose policy it is). `keepsTime`: as `StopStep`'s.
   */
  made(part: StopPart, stop: StopStep["run"], options: { named?: string; keepsTime?: true } = {}): void {
    if (this.steps.has(part)) throw new Error(`${part} is made twice`);
    const step: StopStep = {
      part: options.named ?? part,
      run: stop,
      ...(options.keepsTime ? { keepsTime: true } : {}),
    };
    this.steps.set(part, step);
  }

  /** Stops every part made, in `stop()`'s order; failures are logged, never thrown over the build's. */
  async undo(): Promise<void> {
    if (this.logger === undefined) return;
    const steps = this.inPhase("beforeDrain", "beforeClose", "afterDrain");
    await runStopSteps(steps, this.logger, performance.now() + this.drainMs);
  }

  /**
   * `stop()`'s steps, each phase's in its order, for a build that is done: every part in
   * `STOP_ORDER` must have been made, else a part added there and never made would be skipped by
   * every stop without a word (a fault of ours: the build fails, undone, naming it).
   */
  stopSteps(): Record<StopPhase, StopStep[]> {
    const unmade = STOP_ORDER.filter(([part]) => !this.steps.has(part)).map(([part]) => part);
    if (unmade.length > 0) throw new Error(`a gateway's build made no stop for: ${unmade.join(", ")}`);
    return {
      beforeDrain: this.inPhase("beforeDrain"),
      beforeClose: this.inPhase("beforeClose"),
      afterDrain: this.inPhase("afterDrain"),
    };
  }

  private inPhase(...phases: StopPhase[]): StopStep[] {
    return STOP_ORDER.flatMap(([part, phase]) => {
      const step = phases.includes(phase) ? this.steps.get(part) : undefined;
      return step ? [step] : [];
    });
  }
}
