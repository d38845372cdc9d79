/** Marks a free slot: never an id here (only integers are). */
const FREE = 0.5;
const FIRST_SLOTS = 16;

/**
 * Values by integer id, for ids that rise without end (a tunnel's exchanges, a worker's calls, a
 * thread client's waiters) while few are open at once: open addressing over a typed array of ids
 * (linear probing; a delete shifts the rest of its run back, so no tombstones), at most half full.
 * A dictionary object keyed by such ids keeps them as indexed properties, whose storage JSC
 * changes in kind as the ids outrun the live ones (to array storage, then a sparse map): every
 * operation took its slow path (~40 ns) and the optimised code of the table's methods exited and
 * was thrown away again and again (a `mindgw worker` under load: 22 % of its own samples in DFG,
 * in `IdTable`; s17-jit). A deleted value leaves its slot at once, as a dictionary's property
 * does (what `IdTable` is for: see there).
 */
export class IntegerSlots<T> {
  private ids = new Float64Array(FIRST_SLOTS).fill(FREE);
  private values: (T | undefined)[] = new Array<T | undefined>(FIRST_SLOTS).fill(undefined);
  private mask = FIRST_SLOTS - 1;
  count = 0;

  /** The slot that holds `id`, or the free slot that ends its run. */
  private slotOf(id: number): number {
    let at = id & this.mask;
    for (;;) {
      const held = this.ids[at] as number;
      if (held === id || held === FREE) return at;
      at = (at + 1) & this.mask;
    }
  }

  get(id: number): T | undefined {
    return this.values[this.slotOf(id)];
  }

  has(id: number): boolean {
    return this.ids[this.slotOf(id)] === id;
  }

  set(id: number, value: T): void {
    const at = this.slotOf(id);
    this.values[at] = value;
    if (this.ids[at] === id) return;
    this.ids[at] = id;
    this.count++;
    if (this.count * 2 > this.mask) this.grow();
  }

  /** True when `id` was there. */
  delete(id: number): boolean {
    let hole = this.slotOf(id);
    if (this.ids[hole] !== id) return false;
    this.count--;
    // Entries after the hole in its run move back into it when their home slot allows.
    for (let at = (hole + 1) & this.mask; ; at = (at + 1) & this.mask) {
      const held = this.ids[at] as number;
      if (held === FREE) break;
      const home = held & this.mask;
      const between = hole <= at ? hole < home && home <= at : hole < home || home <= at;
      if (between) continue;
      this.ids[hole] = held;
      this.values[hole] = this.values[at];
      hole = at;
    }
    this.ids[hole] = FREE;
    this.values[hole] = undefined;
    return true;
  }

  clear(): void {
    this.ids.fill(FREE);
    this.values.fill(undefined);
    this.count = 0;
  }

  /** The open values, by id ascending (the order a dictionary's integer keys list in). */
  list(): T[] {
    const open: [number, T][] = [];
    for (let at = 0; at <= this.mask; at++) {
      const id = this.ids[at] as number;
      if (id !== FREE) open.push([id, this.values[at] as T]);
    }
    return open.sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
  }

  private grow(): void {
    const { ids, values } = this;
    this.ids = new Float64Array(ids.length * 2).fill(FREE);
    this.values = new Array<T | undefined>(ids.length * 2).fill(undefined);
    this.mask = ids.length * 2 - 1;
    this.count = 0;
    for (let at = 0; at < ids.length; at++) {
      const id = ids[at] as number;
      if (id !== FREE) this.set(id, values[at] as T);
    }
  }
}
