/**
 * How long a gateway's admin API may stay silent — before its answer's headers, then between the
 * parts of an answer read whole — before a command gives up on it: the CLI's commands
 * (cli/admin-fetch.ts) and `mindgw tail` before its first connection alike.
 */
export const ADMIN_SILENCE_MS = 30_000;

/** What a command says of a gateway that sent no headers within `ADMIN_SILENCE_MS`. */
export const NO_ANSWER = `no answer within ${ADMIN_SILENCE_MS / 1000} s`;

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
