import { edenGC, fullGC, heapStats } from "bun:jsc";

/**
 * How many of `count` objects a young collection still keeps alive after each was entered into a
 * long-lived structure and left again (eight open at a time, leaving out of order, as requests
 * do). The structure is used at some concurrency and fully collected first, so that it is old, as
 * a serving gateway's is: JavaScriptCore (Bun 1.4.5) keeps what was deleted from an old `Set` or
 * `Map` through every young collection until a full one (docs/BENCHMARKS-HISTORY.md, session
 * 11's young collections). A few may be held by the stack (conservative roots).
 */
export async function keptAfterChurn<T extends object, E>(
  make: (i: number) => T,
  enter: (item: T) => E,
  leave: (entry: E) => void,
  count = 500,
): Promise<number> {
  for (let round = 0; round < 50; round++) {
    const entries = Array.from({ length: 32 }, (_, i) => enter(make(i)));
    for (const entry of entries) leave(entry);
  }
  fullGC();
  const refs: WeakRef<T>[] = [];
  const open: E[] = [];
  for (let i = 0; i < count; i++) {
    const item = make(i);
    refs.push(new WeakRef(item));
    open.push(enter(item));
    if (open.length > 8) leave(open.splice((i * 7) % open.length, 1)[0] as E);
  }
  for (const entry of open.splice(0)) leave(entry);
  // A WeakRef keeps its target until the job that made it ends: end it (a turn, not a wait).
  await new Promise((resolve) => setImmediate(resolve));
  edenGC();
  return refs.filter((ref) => ref.deref() !== undefined).length;
}

/**
 * How many cells of one class (`heapStats` names them: "string", "Cell Butterfly", …) that `step`
 * makes over `count` calls a young collection still keeps alive once nothing of ours should hold
 * them. For what cannot be held weakly: strings (JavaScriptCore's number-to-string cache,
 * core/number-text.ts, keeps recent `String(n)` results), and the storages a long-lived Map or
 * Set replaces as entries leave it (core/id-table.ts). Counts the heap's cells of that class
 * after a full collection and after `count` calls and a young one; `step` runs before the full
 * collection too, so that what it makes once (code, a cache of its own) is not counted.
 */
export function cellsKeptAfterChurn(kind: string, step: (i: number) => unknown, count = 2000): number {
  const last: unknown[] = [undefined];
  for (let i = 0; i < count; i++) last[0] = step(i);
  fullGC();
  const before = heapStats().objectTypeCounts[kind] ?? 0;
  for (let i = 0; i < count; i++) last[0] = step(count + i);
  last[0] = undefined;
  edenGC();
  return (heapStats().objectTypeCounts[kind] ?? 0) - before;
}
