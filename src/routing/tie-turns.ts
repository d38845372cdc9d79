/**
 * Whose turn it is among a model's routes that score the same (`least-busy`: as many requests in
 * flight). One per `models:` entry, made at load: a count shared by every model would hand two
 * models whose requests alternate the same start each time, so each of them would use one route.
 */
export class TieTurns {
  private at = 0;

  /** The route index that goes first among equals this time, of `count` routes; the next call's is the one after. */
  take(count: number): number {
    const start = this.at % count;
    this.at = start + 1;
    return start;
  }
}
