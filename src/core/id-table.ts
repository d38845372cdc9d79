import { IntegerSlots } from "./integer-slots.ts";
import { KeyTable } from "./key-table.ts";

/**
 * What is open by a numeric id (a worker tunnel's exchanges, a worker's calls, a thread client's
 * waiters): integer ids in `IntegerSlots` (see there: a dictionary keyed by ids that rise without
 * end kept its methods' optimised code exiting), any other number (NaN from a bad frame) in a
 * `KeyTable`, which also says why neither is a `Map`. String keys have a `KeyTable` of their own.
 */
export class IdTable<T extends NonNullable<unknown>> {
  private readonly slots = new IntegerSlots<T>();
  private readonly others = new KeyTable<T, number>();

  get size(): number {
    return this.slots.count + this.others.size;
  }

  get(id: number): T | undefined {
    return Number.isInteger(id) ? this.slots.get(id) : this.others.get(id);
  }

  has(id: number): boolean {
    return Number.isInteger(id) ? this.slots.has(id) : this.others.has(id);
  }

  set(id: number, value: T): void {
    if (Number.isInteger(id)) this.slots.set(id, value);
    else this.others.set(id, value);
  }

  /** True when `id` was there. */
  delete(id: number): boolean {
    return Number.isInteger(id) ? this.slots.delete(id) : this.others.delete(id);
  }

  /** Forgets everything open. */
  clear(): void {
    this.slots.clear();
    this.others.clear();
  }

  /** A copy of what is open now, integer ids ascending first (safe to change the table while going through it). */
  values(): T[] {
    const others = this.others.values();
    return this.slots.count === 0 ? others : [...this.slots.list(), ...others];
  }
}
