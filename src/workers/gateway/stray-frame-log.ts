import { RepeatThrottle } from "../../core/repeat-throttle.ts";
import type { WorkerLog } from "../worker-log.ts";

/**
 * The warn line for frames a worker sent for a request id the gateway never issued on its
 * connection (a worker's bug, or a key used to write the gateway's log): at most one line per
 * frame type every 5 s, the next one counting those held back (`suppressed`). Written for each,
 * 10,000 such frames, a fraction of a second's sending, were 10,000 lines. A frame for an id
 * issued and since ended (`wasIssued`) is late, not stray (`lateFrame`).
 */
export class StrayFrameLog {
  private readonly throttle: RepeatThrottle<string>;

  constructor(
    private readonly log: WorkerLog,
    private readonly worker: string,
    now?: () => number,
  ) {
    this.throttle = new RepeatThrottle(now);
  }

  stray(id: string, type: string): void {
    const held = this.throttle.pass(type);
    if (held === undefined) return;
    this.log("warn", "worker frame for an unknown request id ignored", {
      worker: this.worker,
      id: id.slice(0, 64),
      type,
      ...(held ? { suppressed: held } : {}),
    });
  }
}

/** Whether `id` (a binary frame's u32, a JSON frame's text) is one of the first `issued` ids given. */
export function wasIssued(id: number | string, issued: number): boolean {
  return typeof id === "number" || /^\d+$/.test(id) ? Number(id) <= issued : false;
}

/**
 * A frame for a request the gateway issued and has since ended or cancelled: expected (the worker
 * had sent it before it read the cancel), so said at debug only.
 */
export function lateFrame(log: WorkerLog, worker: string, id: number | string, type: string): void {
  log("debug", "worker frame for an unknown request id ignored", {
    worker,
    id: String(id).slice(0, 64),
    type,
  });
}
