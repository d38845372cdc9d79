import { monotonicClock } from "../core/steady-clock.ts";
import { LateTick } from "./late-tick.ts";

/**
 * A watch on a peer's heartbeats: a worker's on the gateway (worker-session.ts), a cluster node's
 * on the node at the other end of a peer link (cluster/peer-link.ts). Every message heard proves
 * the peer alive, and a tick every `periodMs` finds it silent past `timeoutMs`. A tick that came
 * late judges nothing (late-tick.ts): a process paused for less than the timeout reads its peer's
 * queued heartbeats before the next tick, and keeps its connection and its streams. Silence is
 * timed on the monotonic clock: on the wall clock an NTP step forward read as the peer silent that
 * long, and dropped a live connection with the calls on it.
 */
export class SilenceWatch {
  private lastHeard: number;
  private readonly ticks: LateTick;

  constructor(
    private readonly timeoutMs: number,
    periodMs: number,
    private readonly now: () => number = monotonicClock,
  ) {
    this.lastHeard = now();
    this.ticks = new LateTick(periodMs, now);
  }

  heard(): void {
    this.lastHeard = this.now();
  }

  /** At each tick: how long the peer has been silent when that is past the timeout; else undefined. */
  silentPastTimeout(): number | undefined {
    if (!this.ticks.onTime()) return undefined;
    const silentMs = this.now() - this.lastHeard;
    return silentMs > this.timeoutMs ? silentMs : undefined;
  }
}
