/**
 * A periodic check of a peer's silence, told apart when it runs late. A tick that comes more than
 * a whole period after it was due means this process was paused (SIGSTOP, a VM migrated) or its
 * event loop held: what the peer sent meanwhile may still wait unread behind the timer, and the
 * silence the clock shows is this process's own. Such a tick judges nothing; the next one, a
 * period later, judges, once the socket has been read — late too or not: a process that lags past
 * two periods at every tick is not paused, and skipping them all would never judge a dead peer.
 */
export class LateTick {
  private last: number;
  /** The tick before was late and judged nothing: this one judges, however late. */
  private skipped = false;

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {
    this.last = now();
  }

  /** Called at each tick: whether it came in time to judge (false: this process was paused). */
  onTime(): boolean {
    const at = this.now();
    const skip = !this.skipped && at - this.last > 2 * this.periodMs;
    this.last = at;
    this.skipped = skip;
    return !skip;
  }
}
