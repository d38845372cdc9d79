/**
 * A bound on silence, not on time: `signal` aborts once `ms` pass without a `restart` (at an
 * answer's headers, at each part of its body), so an answer that keeps coming takes as long as it
 * needs, and one that stalls, before its headers or after, ends. `end` when the answer is read.
 */
export class SilenceBound {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  readonly signal = this.controller.signal;
  /** An arrow, so a reader can be handed it as its "a part came" callback. */
  readonly restart = (): void => {
    this.timer.refresh();
  };

  constructor(readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }

  end(): void {
    clearTimeout(this.timer);
  }
}
