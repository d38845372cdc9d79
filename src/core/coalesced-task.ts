/**
 * A task run one at a time, whose askers share runs: `join` shares the run under way (or starts
 * one), `rerun` asks for a run that starts after this call, and however many ask while one is
 * under way share the one run after it.
 */
export class CoalescedTask {
  private running: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  /** The run under way, or a new one. */
  join(): Promise<void> {
    this.running ??= this.task().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** A run that starts after this call: the one under way may have read what changed too early. */
  rerun(): Promise<void> {
    const under = this.running;
    if (under === null) return this.join();
    const after = () => this.join();
    return under.then(after, after);
  }

  /** Settles when no run is under way. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
