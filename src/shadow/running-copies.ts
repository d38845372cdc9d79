/**
 * Copies under way: sampled but not started yet (they start on the next turn), in flight, and
 * owned ones until the thread says they are done. The cap counts them; a stop waits until none is.
 */
export class RunningCopies {
  private running = 0;
  /** Called when nothing runs any more. */
  private idle: (() => void)[] = [];

  /** How many copies are under way. */
  get count(): number {
    return this.running;
  }

  begin(): void {
    this.running++;
  }

  release(): void {
    this.running--;
    if (this.running > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Settles once none runs; undefined when none does now. */
  none(): Promise<void> | undefined {
    return this.running > 0 ? new Promise<void>((resolve) => this.idle.push(resolve)) : undefined;
  }
}
