import { LateTick } from "../late-tick.ts";

/**
 * The timer that sweeps out workers whose heartbeats stopped, every half heartbeat (at least 50 ms),
 * running only while any worker is connected.
 */
export class HeartbeatSweeps {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly everyMs: number;
  /** The sweep's lateness: a sweep after this process was paused removes nobody (late-tick.ts). */
  private ticks: LateTick;

  constructor(
    heartbeatMs: number,
    private readonly now: () => number,
    private readonly sweep: () => void,
  ) {
    this.everyMs = Math.max(50, Math.floor(heartbeatMs / 2));
    this.ticks = new LateTick(this.everyMs, now);
  }

  /** Runs the timer while `connected` workers are more than none. */
  sync(connected: number): void {
    if (connected > 0 && !this.timer) {
      this.ticks = new LateTick(this.everyMs, this.now);
      this.timer = setInterval(this.sweep, this.everyMs);
      this.timer.unref?.();
    } else if (connected === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Whether this sweep came in time to judge (false: this process was paused). */
  onTime(): boolean {
    return this.ticks.onTime();
  }
}
