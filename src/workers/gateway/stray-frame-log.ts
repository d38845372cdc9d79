import { monotonicClock } from "../../core/steady-clock.ts";
import type { WorkerLog } from "../worker-log.ts";

/** How long a frame type's line holds back its repeats. */
const EVERY_MS = 5_000;

/**
 * The warn line for frames a worker sent for a request id the gateway never issued on its
 * connection (a worker's bug, or a key used to write the gateway's log): at most one line per
 * frame type every 5 s, the next one counting those held back (`suppressed`). Written for each,
 * 10,000 such frames, a fraction of a second's sending, were 10,000 lines.
 */
export class StrayFrameLog {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly log: WorkerLog,
    private readonly worker: string,
    // A clock NTP never steps: on the wall clock a step back held every line back for its length.
    private readonly now: () => number = monotonicClock,
  ) {}

  stray(id: string, type: string): void {
    const at = this.now();
    const last = this.last.get(type);
    if (last && at - last.at < EVERY_MS) {
      last.held++;
      return;
    }
    this.last.set(type, { at, held: 0 });
    this.log("warn", "worker frame for an unknown request id ignored", {
      worker: this.worker,
      id: id.slice(0, 64),
      type,
      ...(last?.held ? { suppressed: last.held } : {}),
    });
  }
}
