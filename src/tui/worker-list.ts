import {
  DEFAULT_HEARTBEATS,
  type HeartbeatBounds,
  type HeartbeatTiming,
  heartbeatBounds,
} from "./heartbeat-bounds.ts";
import type { TailWorker } from "./tail-event.ts";

/**
 * How a worker the pane still shows went: lost, or left once its drain was over (`drained`), and
 * why, in the gateway's words (`worker.lost`'s reason: its key permits none of its models, key
 * revoked, heartbeat timeout…), as the web UI's Workers page says it.
 */
export interface WorkerGone {
  readonly how: "lost" | "left";
  readonly reason: string;
}

/** A worker as the pane shows it; one gone (null while connected) until the next workers refresh drops it. */
export interface WorkerRow extends TailWorker {
  gone: WorkerGone | null;
}

/**
 * The workers pane's rows (tail-store.ts): kept from the worker events as they come, and replaced by
 * the gateway's list at each read, but for a worker whose event came after the read was sent.
 */
export class WorkerList {
  private readonly rows = new Map<string, WorkerRow>();
  /** Worker events applied so far: a workers read is as of the count when it was sent (`mark`). */
  private events = 0;
  /** Each worker's last event, by that count, until a read sent after it has replaced the list. */
  private readonly eventAt = new Map<string, number>();
  /** False once the gateway refused this credential the workers list: the pane says so. */
  visible = true;
  /** Whether a read of the list has answered (or been refused): until then none listed is not "none connected". */
  read = false;
  /** Whether the last read failed (no answer, a 5xx) before any answered: the pane says so, not "reading". */
  unread = false;
  /**
   * When a worker's heartbeat reads as late or stale: from the gateway's heartbeat timing and how
   * often the list is read (`replace`); the gateway's defaults until its list says.
   */
  heartbeatBounds: HeartbeatBounds;

  /** `readEveryMs`: how often the workers list is read (run-interactive.tsx), the slack of a heartbeat's age. */
  constructor(private readonly readEveryMs: number) {
    this.heartbeatBounds = heartbeatBounds(DEFAULT_HEARTBEATS, readEveryMs);
  }

  /** `worker.connected`. */
  connected(worker: TailWorker): void {
    this.eventAt.set(worker.id, ++this.events);
    this.rows.set(worker.id, { ...worker, gone: null });
  }

  /** `worker.changed` or `worker.draining`. */
  changed(worker: TailWorker): void {
    this.eventAt.set(worker.id, ++this.events);
    // Out of rotation is the list's to say: a drain or a change of models does not end it.
    const ejectedUntil = this.rows.get(worker.id)?.ejectedUntil;
    this.rows.set(worker.id, {
      ...worker,
      ...(ejectedUntil !== undefined ? { ejectedUntil } : {}),
      gone: null,
    });
  }

  /** `worker.lost`: left once its drain was over (`drained`), or lost. */
  lost(worker: TailWorker, drained: boolean, reason: string): void {
    this.eventAt.set(worker.id, ++this.events);
    this.rows.set(worker.id, { ...worker, inFlight: 0, gone: { how: drained ? "left" : "lost", reason } });
  }

  /** Where the worker events stand now: pass it to `replace` with the list a read sent now answers. */
  mark(): number {
    return this.events;
  }

  /**
   * The gateway's list, read by a request sent at `sentAt` (`mark`). A worker whose event came after
   * it keeps the row that event made: the list may predate it, and would put a worker just lost back
   * (or a drain just announced off) until the next read. `heartbeats`: the gateway's heartbeat timing.
   */
  replace(workers: TailWorker[], sentAt: number, heartbeats?: HeartbeatTiming): void {
    if (heartbeats) this.heartbeatBounds = heartbeatBounds(heartbeats, this.readEveryMs);
    this.read = true;
    this.unread = false;
    const newer = new Map<string, WorkerRow>();
    for (const [id, at] of this.eventAt) {
      const row = this.rows.get(id);
      if (at > sentAt && row !== undefined) newer.set(id, row);
      else this.eventAt.delete(id);
    }
    this.rows.clear();
    for (const worker of workers) this.rows.set(worker.id, { ...worker, gone: null });
    for (const [id, row] of newer) this.rows.set(id, row);
  }

  /** The workers list is refused to this credential: the pane says so in place of the list. */
  hide(): void {
    this.visible = false;
    this.read = true;
    this.rows.clear();
    this.eventAt.clear();
  }

  /** The rows by name. */
  sorted(): WorkerRow[] {
    return [...this.rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
