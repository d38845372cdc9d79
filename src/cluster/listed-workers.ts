import type { PeerWorker } from "./directory-workers.ts";
import { predecessorWorkers } from "./predecessor-entry.ts";

/**
 * The workers a node's directory entry lists: those connected, with those a predecessor under the
 * same id left draining and not yet here; once the node drains, every one it held since.
 */
export class ListedWorkers {
  /**
   * Set by `drain` (the node stops): every worker it held since is listed as draining, the ones it
   * has closed meanwhile too, by name.
   */
  private drainedWith: Map<string, PeerWorker> | null = null;
  /**
   * The workers an entry of this node's id listed when it started (a predecessor restarted under
   * the same id, its entry not yet expired), listed as draining until each registers here or the
   * predecessor's entry would have expired (`until`, on `clock`).
   */
  private inherited: { workers: Map<string, PeerWorker>; until: number } | null = null;

  /**
   * `clock` times how long a predecessor's workers stay listed: this process's monotonic one (or
   * the test's). Never the predecessor's `at`: on a host whose clock is behind (or ahead) of the
   * predecessor's, its workers stayed listed that much longer (or went at once).
   */
  constructor(
    private readonly connected: () => PeerWorker[],
    private readonly clock: () => number,
  ) {}

  /**
   * The entry left under this node's id as it starts (predecessor-entry.ts), or null, and how long
   * it stands still (its time to live in Redis, within its seal's bound, in ms).
   */
  inherit(left: { entry: unknown; leftMs: number } | null): void {
    const workers = left === null ? null : predecessorWorkers(left.entry);
    this.inherited =
      left === null || workers === null ? null : { workers, until: this.clock() + left.leftMs };
  }

  /** Still listing workers a predecessor left (so its stopping key is worth reading). */
  get inheriting(): boolean {
    return this.inherited !== null;
  }

  /**
   * The predecessor still drains (stopping-node.ts) for `leftMs` more (its stopping key's time to
   * live): its workers not yet here stay listed, draining, that long at least.
   */
  predecessorStands(leftMs: number): void {
    const until = this.clock() + leftMs;
    if (this.inherited !== null && until > this.inherited.until) this.inherited.until = until;
  }

  /** The node stops: from now on every worker it held is listed, draining. */
  drain(): void {
    this.drainedWith ??= new Map();
  }

  get draining(): boolean {
    return this.drainedWith !== null;
  }

  /**
   * The workers the entry lists: those connected, with a predecessor's not yet here (`inherited`);
   * once the node drains, every one it held since, draining, those it no longer holds `closed`.
   */
  now(): PeerWorker[] {
    const connected = this.connected();
    const listed = [...connected, ...this.stillInherited(connected)];
    if (this.drainedWith === null) return listed;
    for (const worker of listed) this.drainedWith.set(worker.name, { ...worker, draining: true });
    const here = new Set(connected.map((worker) => worker.name));
    return [...this.drainedWith.values()].map((worker) =>
      here.has(worker.name) ? worker : { ...worker, closed: true },
    );
  }

  /**
   * A predecessor's workers not registered here (`connected`), while its entry would still stand: a node
   * restarted at once under the same id would otherwise publish none over the ones its predecessor
   * left draining, and every other node read their models as served nowhere (a 404) until they
   * registered again.
   */
  private stillInherited(connected: readonly PeerWorker[]): PeerWorker[] {
    const inherited = this.inherited;
    if (inherited === null) return [];
    if (this.clock() >= inherited.until) {
      this.inherited = null;
      return [];
    }
    for (const { name } of connected) inherited.workers.delete(name);
    return [...inherited.workers.values()];
  }
}
