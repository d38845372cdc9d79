/**
 * What is open by an id (a worker tunnel's exchanges, a worker's calls): a Map's get, set, delete
 * and size over a dictionary object (with no prototype: any id is a plain key). A long-lived `Map` that ids are added to and deleted from keeps the
 * deleted entries alive through every young collection until the next full one (JavaScriptCore
 * in Bun 1.4.5, as a long-lived `Set` does: docs/BENCHMARKS-HISTORY.md, session 11's young
 * collections), with everything each holds; a dictionary's deleted property is gone at once.
 */
export class IdTable<T extends object, K extends number | string = number> {
  private readonly byId: Record<K, T | undefined> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: K): T | undefined {
    return this.byId[id];
  }

  has(id: K): boolean {
    return this.byId[id] !== undefined;
  }

  set(id: K, value: T): void {
    if (this.byId[id] === undefined) this.count++;
    this.byId[id] = value;
  }

  /** True when `id` was there. */
  delete(id: K): boolean {
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
