import { IntegerSlots } from "./integer-slots.ts";

/**
 * What is open by an id (a worker tunnel's exchanges, a worker's calls, a key's sessions, an
 * address's requests): a Map's get, set, delete and size over a dictionary object (with no
 * prototype: any id is a plain key), integer ids in `IntegerSlots` (see there: a dictionary keyed
 * by ids that rise without end kept its methods' optimised code exiting). A long-lived `Map` or
 * `Set` that entries are added to and deleted from keeps the deleted ones alive through every
 * young collection until the next full one (JavaScriptCore in Bun 1.4.5), with everything each
 * holds: it replaces its storage (a "Cell Butterfly") every few deletes, and every storage it
 * replaced survives young collections with the entries it held (docs/BENCHMARKS-HISTORY.md,
 * sessions 11 and 12's young collections). A dictionary's deleted property is gone at once, and
 * so is a slot's value.
 */
export class IdTable<T extends NonNullable<unknown>, K extends number | string = number> {
  private readonly byId: Record<K, T | undefined> = Object.create(null);
  private readonly slots = new IntegerSlots<T>();
  private count = 0;

  get size(): number {
    return this.count + this.slots.count;
  }

  get(id: K): T | undefined {
    return isSlotted(id) ? this.slots.get(id) : this.byId[id];
  }

  has(id: K): boolean {
    return isSlotted(id) ? this.slots.has(id) : this.byId[id] !== undefined;
  }

  set(id: K, value: T): void {
    if (isSlotted(id)) this.slots.set(id, value);
    else {
      if (this.byId[id] === undefined) this.count++;
      this.byId[id] = value;
    }
  }

  /** True when `id` was there. */
  delete(id: K): boolean {
    if (isSlotted(id)) return this.slots.delete(id);
    if (this.byId[id] === undefined) return false;
    delete this.byId[id];
    this.count--;
    return true;
  }

  /** Forgets everything open. */
  clear(): void {
    for (const id in this.byId) delete this.byId[id];
    this.count = 0;
    this.slots.clear();
  }

  /** A copy of what is open now (safe to change the table while going through it). */
  values(): T[] {
    const named = Object.values(this.byId).filter((value): value is T => value !== undefined);
    return this.slots.count === 0 ? named : [...this.slots.list(), ...named];
  }
}

/** Integer ids go to the slots; strings and other numbers (NaN from a bad frame) stay keys. */
function isSlotted(id: number | string): id is number {
  return typeof id === "number" && Number.isInteger(id);
}
