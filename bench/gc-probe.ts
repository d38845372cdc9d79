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
 * `sweepMs` is the longest the event loop then stood still in the next 150 ms: JSC sweeps what
 * allocation has not swept yet 100 ms after a collection (its `IncrementalSweeper`), in one go on
 * this thread, and with nothing allocating meanwhile that is every block the collection left
 * unswept; under c=1 traffic it is the stall bench/c1-trace.ts finds ~100 ms after each one.
 */
export function armGcProbe(write: (line: string) => void): void {
  let noted: Record<string, number> = {};
  // A young object held weakly only: gone once any collection runs after the note.
  let sentinel = new WeakRef({});
  process.on("SIGUSR2", async () => {
    fullGC();
    // The full collection's own sweep runs 100 ms later: past it, the eden's is the eden's alone.
    await longestStall(150);
    noted = { ...heapStats().objectTypeCounts };
    sentinel = new WeakRef({});
    write(JSON.stringify({ gcProbe: "noted" }));
  });
  process.on("SIGUSR1", async () => {
    const collectedBefore = sentinel.deref() === undefined;
    const started = performance.now();
    edenGC();
    const ms = performance.now() - started;
    const more = Object.entries(heapStats().objectTypeCounts)
      .map(([name, count]) => [name, count - (noted[name] ?? 0)] as const)
      // A few cells always come and go (JIT code, structures): only counts that mean something.
      .filter(([, count]) => count > 2)
      .sort((a, b) => b[1] - a[1]);
    const sweepMs = await longestStall(150);
    write(
      JSON.stringify({ gcProbe: "eden", ms, sweepMs, collectedBefore, survivors: Object.fromEntries(more) }),
    );
  });
}

/** The longest gap between two turns of the event loop within the next `ms` milliseconds. */
function longestStall(ms: number): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    let longest = 0;
    const turn = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (now - start < ms) setImmediate(turn);
      else resolve(longest);
    };
    setImmediate(turn);
  });
}
