import type { WorkerSummary } from "../audit/gateway-event.ts";

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
export function withSeen(gone: readonly GoneWorker[], leaving: SeenLeaving): GoneWorker[] {
  return [leaving, ...gone.filter((g) => g.worker.id !== leaving.worker.id)].slice(0, GONE_MAX);
}

/** `gone` with the workers that left unseen first, but those it lists already (seen, or inferred before). */
export function withUnseen(gone: readonly GoneWorker[], unseen: readonly UnseenLeaving[]): GoneWorker[] {
  const listed = new Set(gone.map((g) => g.worker.id));
  const added = unseen.filter((u) => !listed.has(u.worker.id));
  return added.length === 0 ? [...gone] : [...added, ...gone].slice(0, GONE_MAX);
}

/**
 * The Workers page's event stream while it is down: the workers listed when it dropped, kept until
 * a list read begun once it was back, which covers the whole gap. Each list read meanwhile tells
 * which of them are gone, unseen.
 */
export class StreamGap {
  private gap: { readonly from: number; readonly listed: readonly WorkerSummary[] } | undefined;
  private following = false;

  /** The stream dropped, or a reconnect failed: the first drop's time and list stand. */
  down(listed: readonly WorkerSummary[], at: number): void {
    this.following = false;
    this.gap ??= { from: at, listed };
  }

  up(): void {
    this.following = true;
  }

  /**
   * A list read begins; what it returns is given the read's answer and when it came, and tells
   * the workers listed at the drop that the answer lists no more.
   */
  reading(): (now: readonly WorkerSummary[], at: number) => UnseenLeaving[] {
    const gap = this.gap;
    const coversGap = this.following;
    return (now, at) => {
      if (gap === undefined) return [];
      if (coversGap && this.gap === gap) this.gap = undefined;
      const still = new Set(now.map((worker) => worker.id));
      return gap.listed
        .filter((worker) => !still.has(worker.id))
        .map((worker) => ({ seen: false, worker, from: gap.from, to: at }));
    };
  }
}
