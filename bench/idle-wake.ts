/**
 * What one wake-up after idling costs a thread on this host: a Bun thread that sleeps for
 * `ms` and wakes, again and again with nothing else to do, and the CPU it was charged per cycle
 * (`/proc/thread-self/schedstat`, nanoseconds; not the clock ticks of `/proc/.../stat`). The work
 * a cycle does is the same at every length, so a cost that grows with the idle time is the
 * caches and the virtual CPU's state the thread comes back to (a thread that wakes once a trace
 * batch, or the event loop between two requests at c=1, pays it every time).
 *   bun bench/idle-wake.ts [--cycles-ms 6000] [--lengths 1,5,20] [--rounds 3]
 * Prints one line per idle length: `sleep <ms> ms: <µs> µs of CPU a wake (rounds: …)`, the
 * median of the rounds and each round's figure.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "cycles-ms": { type: "string", default: "6000" },
    lengths: { type: "string", default: "1,5,20" },
    rounds: { type: "string", default: "3" },
  },
});

/** This thread's CPU so far, in nanoseconds. */
const threadNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);

/** CPU µs a sleep-and-wake cycle of `ms`, over `cycles` cycles (after a few unmeasured). */
async function cycleCost(ms: number, cycles: number): Promise<number> {
  for (let i = 0; i < 10; i++) await Bun.sleep(ms);
  const before = threadNs();
  for (let i = 0; i < cycles; i++) await Bun.sleep(ms);
  return (threadNs() - before) / cycles / 1000;
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const budgetMs = Number(values["cycles-ms"]);
const rounds = Number(values.rounds);
const lengths = String(values.lengths).split(",").map(Number);
for (const ms of lengths) {
  const figures: number[] = [];
  for (let r = 0; r < rounds; r++) figures.push(await cycleCost(ms, Math.max(20, Math.round(budgetMs / ms))));
  console.log(
    `sleep ${ms} ms: ${median(figures).toFixed(1)} µs of CPU a wake (rounds: ${figures.map((f) => f.toFixed(1)).join(", ")})`,
  );
}
