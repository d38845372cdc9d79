/**
 * What is open by a numeric id (a worker tunnel's exchanges): a Map's get, set, delete and size
 * over a dictionary object. A long-lived `Map` that ids are added to and deleted from keeps the
 * deleted entries alive through every young collection until the next full one (JavaScriptCore
 * in Bun 1.4.5, as a long-lived `Set` does: docs/BENCHMARKS-HISTORY.md, session 11's young
 * collections), with everything each holds; a dictionary's deleted property is gone at once.
 */
export class IdTable<T extends object> {
  private readonly byId: Record<number, T | undefined> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    return this.byId[id];
  }

  has(id: number): boolean {
    return this.byId[id] !== undefined;
  }

  set(id: number, value: T): void {
    if (this.byId[id] === undefined) this.count++;
    this.byId[id] = value;
  }

  /** True when `id` was there. */
  delete(id: number): boolean {
    if (this.byId[id] === undefined) return false;
    delete this.byId[id];
    this.count--;
    return true;
  }

  /** A copy of what is open now (safe to change the table while going through it). */
  values(): T[] {
    return Object.values(this.byId).filter((value): value is T => value !== undefined);
  }
}
