import type { WorkerSummary as Summary } from "../audit/gateway-event.ts";
import type { Seen } from "../tenants/worker-seen.ts";

/** A worker as the page is shown it: without its `inFlight` to a tenant's admin when it serves every tenant. */
type WorkerSummary = Seen<Summary>;

/** How many workers that left the Workers page lists, newest first. */
export const GONE_MAX = 50;

/** A worker the page saw leave: its `worker.lost` event, with why. */
export interface SeenLeaving {
  readonly seen: true;
  readonly at: number;
  readonly worker: WorkerSummary;
  readonly reason: string;
  /** Gone once its drain was over, nothing cut: left, not lost. */
  readonly drained: boolean;
}

/**
 * A worker that left while the page's event stream was down: listed when the stream dropped
 * (`from`), not in a list read since (`to`). Its `worker.lost` never reached the page (the stream
 * has no replay), so why is not known, and when only between the two.
 */
export interface UnseenLeaving {
  readonly seen: false;
  readonly worker: WorkerSummary;
  readonly from: number;
  readonly to: number;
}

export type GoneWorker = SeenLeaving | UnseenLeaving;

/** `gone` with a worker seen leaving first; its event stands for any entry of it already there. */
export function withSeen(gone: readonly GoneWorker[], leaving: SeenLeaving): readonly GoneWorker[] {
  return [leaving, ...gone.filter((g) => g.worker.id !== leaving.worker.id)].slice(0, GONE_MAX);
}

/**
 * `gone` with the workers that left unseen first, but those it lists already (seen, or inferred
 * before); `gone` itself when that adds none, so the page's poll during a gap renders nothing anew.
 */
export function withUnseen(
  gone: readonly GoneWorker[],
  unseen: readonly UnseenLeaving[],
): readonly GoneWorker[] {
  const listed = new Set(gone.map((g) => g.worker.id));
  const added = unseen.filter((u) => !listed.has(u.worker.id));
  return added.length === 0 ? gone : [...added, ...gone].slice(0, GONE_MAX);
}

/** A worker the page listed during a gap, or when it began, and the earliest it can have left. */
interface Watched {
  readonly worker: WorkerSummary;
  readonly from: number;
}

/** The stream down, and not yet covered by a list read begun once it was back. */
interface Gap {
  watched: readonly Watched[];
}

/**
 * The Workers page's event stream while it is down: every worker the page lists from the drop on is
 * watched until a list read begun once the stream was back, which covers the whole gap. Each list
 * read tells which of the workers watched when it began are gone, unseen.
 */
export class StreamGap {
  private gap: Gap | undefined;
  private following = false;

  /**
   * The stream dropped, or a reconnect failed (the same gap: what it watches and since when stand).
   * A drop after the stream was back opens a new gap, which goes on watching the last one's workers
   * if no read has covered it yet: the read begun at the connect may answer only after this drop.
   */
  down(shown: readonly WorkerSummary[], at: number): void {
    if (this.following || this.gap === undefined) this.gap = { watched: this.gap?.watched ?? [] };
    this.following = false;
    this.gap.watched = watchingToo(this.gap.watched, shown, at);
  }

  up(): void {
    this.following = true;
  }

  /**
   * A list read begins at `at`; what it returns is given the read's answer and when it came, and
   * tells the workers watched when the read began that the answer lists no more.
   */
  reading(at: number): (now: readonly WorkerSummary[], answeredAt: number) => UnseenLeaving[] {
    const gap = this.gap;
    const watched = gap?.watched ?? [];
    const coversGap = this.following;
    return (now, answeredAt) => {
      if (coversGap && gap !== undefined && this.gap === gap) this.gap = undefined;
      else if (this.gap !== undefined) this.gap.watched = listedBy(this.gap.watched, now, at);
      const still = new Set(now.map((worker) => worker.id));
      return watched
        .filter(({ worker }) => !still.has(worker.id))
        .map(({ worker, from }) => ({ seen: false, worker, from, to: answeredAt }));
    };
  }
}

/** `watched` with the workers of `listed` it lacks, each from `from`: the earliest watch stands. */
function watchingToo(
  watched: readonly Watched[],
  listed: readonly WorkerSummary[],
  from: number,
): readonly Watched[] {
  const known = new Set(watched.map((w) => w.worker.id));
  const added = listed.filter((worker) => !known.has(worker.id));
  return added.length === 0 ? watched : [...watched, ...added.map((worker) => ({ worker, from }))];
}

/**
 * `watched` with the answer of a read begun at `readAt` that came while a gap is open: the page may
 * show it, so each worker it lists is watched too. Each was there after `readAt`, so it left after.
 */
function listedBy(
  watched: readonly Watched[],
  answer: readonly WorkerSummary[],
  readAt: number,
): readonly Watched[] {
  const listed = new Set(answer.map((worker) => worker.id));
  const later = watched.map((w) =>
    listed.has(w.worker.id) && w.from < readAt ? { worker: w.worker, from: readAt } : w,
  );
  return watchingToo(later, answer, readAt);
}
