import { edenGC, fullGC, heapStats } from "bun:jsc";

/**
 * Signals that ask a running process what its young collections keep alive. SIGUSR2: a full
 * collection, then the live cells by class are noted. SIGUSR1: a young (eden) collection, then
 * the classes with more live cells than at the note are written as one JSON line
 * `{"gcProbe":"eden","ms":…,"survivors":{class:count}}`. Requests served between the two and all
 * answered leave nothing in flight: what survives is what an eden collection still found
 * reachable of them, and marks and promotes for every request (bench/eden-survivors.ts). The eden
 * line's `ms` is that collection's pause (bench/eden-pause.ts), and `collectedBefore` says whether an
 * automatic collection ran since the note (then the timed one did not collect all the requests').
 */
export function armGcProbe(write: (line: string) => void): void {
  let noted: Record<string, number> = {};
  // A young object held weakly only: gone once any collection runs after the note.
  let sentinel = new WeakRef({});
  process.on("SIGUSR2", () => {
    fullGC();
    noted = { ...heapStats().objectTypeCounts };
    sentinel = new WeakRef({});
    write(JSON.stringify({ gcProbe: "noted" }));
  });
  process.on("SIGUSR1", () => {
    const collectedBefore = sentinel.deref() === undefined;
    const started = performance.now();
    edenGC();
    const ms = performance.now() - started;
    const more = Object.entries(heapStats().objectTypeCounts)
      .map(([name, count]) => [name, count - (noted[name] ?? 0)] as const)
      // A few cells always come and go (JIT code, structures): only counts that mean something.
      .filter(([, count]) => count > 2)
      .sort((a, b) => b[1] - a[1]);
    write(JSON.stringify({ gcProbe: "eden", ms, collectedBefore, survivors: Object.fromEntries(more) }));
  });
}
