/**
 * Attributes that are the same for every request of a route, written into the export batch as
 * one pair that names their group (span-batch-layout.ts, `GROUP`) instead of a pair each: an
 * attempt's operation, provider, model, route, retry and failover; a server span's front door,
 * stream, operation and model, and its route, key name and tenant (the runs span-attributes.ts
 * names, `Run`). A group is found by what its attributes are made from (the route's own
 * AttemptInfo; the model, front door and stream; the route, key and tenant), compared as they
 * are, so a request that repeats a recent one interns none of those values and writes two slots
 * for each run, not two for each attribute. The groups themselves are string-table entries
 * (string-table.ts, `internGroup`), so the export thread's mirror of the table carries them and
 * a new generation of it forgets them.
 */

/**
 * Values of the first kind remembered before all are forgotten: a gateway's routes and models, as
 * a rule; an AttemptInfo made for one attempt (a retry's) would otherwise be kept for good.
 */
const MOST_KEPT = 256;

/** A group's other two values and its id; more groups of the same first value after it. */
interface Kept<B, C> {
  readonly b: B;
  readonly c: C;
  readonly id: number;
  readonly next: Kept<B, C> | undefined;
}

/**
 * The group ids made from three values in one table generation: found by the first (a Map of
 * them), then the other two, all compared as `===` does.
 */
export class RecentGroups<A, B, C> {
  private kept = new Map<A, Kept<B, C>>();
  private generation = -1;

  /** The group made from `a`, `b`, `c` in table generation `generation`, or -1. */
  find(generation: number, a: A, b: B, c: C): number {
    if (generation !== this.generation) {
      this.kept = new Map();
      this.generation = generation;
      return -1;
    }
    for (let k = this.kept.get(a); k !== undefined; k = k.next) if (k.b === b && k.c === c) return k.id;
    return -1;
  }

  /** Remembers `id` as the group made from `a`, `b`, `c` (in the generation `find` was last asked about). */
  keep(a: A, b: B, c: C, id: number): void {
    if (this.kept.size >= MOST_KEPT) this.kept = new Map();
    this.kept.set(a, { b, c, id, next: this.kept.get(a) });
  }
}

/** Writes a group's attributes one by one into `to` (the first time, or when they do not group). */
export type GroupWriter<T, A, B, C> = (to: T, a: A, b: B, c: C) => void;
