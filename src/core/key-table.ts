/**
 * What is open by a string key (a client's address, an API key's id, a request id): a Map's get,
 * set, delete and size over a dictionary object (with no prototype: any key is a plain key). A
 * long-lived `Map` or `Set` that entries are added to and deleted from keeps the deleted ones
 * alive through every young collection until the next full one (JavaScriptCore in Bun 1.4.5),
 * with everything each holds: it replaces its storage (a "Cell Butterfly") every few deletes, and
 * every storage it replaced survives young collections with the entries it held
 * (docs/BENCHMARKS-HISTORY.md, sessions 11 and 12's young collections). A dictionary's deleted
 * property is gone at once. Integer ids go to an `IdTable` instead: one class a key kind, so the
 * methods of each see one kind of key (one class for both had its optimised `set` and `get` exit
 * on the kind they had not been compiled for, under mixed traffic on the gateway's main thread).
 */
export class KeyTable<T extends NonNullable<unknown>, K extends string | number = string> {
  private readonly byKey: Record<K, T | undefined> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: K): T | undefined {
    return this.byKey[key];
  }

  has(key: K): boolean {
    return this.byKey[key] !== undefined;
  }

  set(key: K, value: T): void {
    if (this.byKey[key] === undefined) this.count++;
    this.byKey[key] = value;
  }

  /** True when `key` was there. */
  delete(key: K): boolean {
    if (this.byKey[key] === undefined) return false;
    delete this.byKey[key];
    this.count--;
    return true;
  }

  /** Forgets everything open. */
  clear(): void {
    for (const key in this.byKey) delete this.byKey[key];
    this.count = 0;
  }

  /** The keys open now, a copy (safe to change the table while going through them). */
  keys(): string[] {
    return Object.keys(this.byKey);
  }

  /** A copy of what is open now (safe to change the table while going through it). */
  values(): T[] {
    return Object.values(this.byKey).filter((value): value is T => value !== undefined);
  }
}
