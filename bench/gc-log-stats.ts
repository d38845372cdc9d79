/**
 * Bytes allocated per request, from a gateway's `BUN_JSC_logGC=true` stderr: under a fixed wrk
 * run, each collection's `START M <a>kb … => <b>kb` gives the heap before it and after it, so the
 * heap grew by this START minus the previous END in between — what was allocated. Counted per
 * heap: the SQLite audit store runs on its own thread with its own heap, whose (cheap, off the
 * event loop) collections a count of every `END]` line would mix in. The main heap is the larger.
 *   bun bench/gc-log-stats.ts LOG --requests N [--from-line L]
 * `--from-line`: only collections after this line of LOG (its length when the measured run began).
 * Also printed: each heap's median pause (the p99 at c=1 is set by the main heap's) and the median
 * heap left live after a collection (old garbage included: an eden collection leaves it), and how
 * many collections the allocation budget asked for (the rest: JSC's eden timer).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: "string" }, "from-line": { type: "string", default: "0" } },
});
const [path] = positionals;
const requests = Number(values.requests);
if (!path || !(requests > 0)) {
  console.error("usage: bun bench/gc-log-stats.ts LOG --requests N [--from-line L]");
  process.exit(2);
}
const fromLine = Number(values["from-line"]);

const LINE = /GC<(0x[0-9a-f]+)>: START M (\d+)kb => \w+.*=> (\d+)kb, p=([\d.]+)ms.*END\]/;
interface HeapStats {
  previousEnd: number | undefined;
  collections: number;
  allocatedKb: number;
  pauseMs: number;
  pauses: number[];
  liveKb: number[];
  /** Collections JSC logged as asked for by the allocation budget; the rest come from its eden timer. */
  byBudget: number;
  largestKb: number;
}
const heaps = new Map<string, HeapStats>();
// JSC logs "Requesting GC because bytes allocated this cycle … exceed bytes allowed" just before a
// collection its allocation budget asked for; the others are its eden timer's (GCActivityCallback:
// due sooner the more was allocated and the shorter the last pause), which at c=1 is most of them.
let budgetAsked = false;
readFileSync(path, "utf8")
  .split("\n")
  .forEach((line, index) => {
    if (line.startsWith("Requesting GC because")) budgetAsked = true;
    const match = LINE.exec(line);
    if (!match) return;
    const asked = budgetAsked;
    budgetAsked = false;
    const [, heap = "", start = "0", end = "0", pause = "0"] = match;
    let stats = heaps.get(heap);
    if (!stats) {
      stats = {
        previousEnd: undefined,
        collections: 0,
        allocatedKb: 0,
        pauseMs: 0,
        pauses: [],
        liveKb: [],
        byBudget: 0,
        largestKb: 0,
      };
      heaps.set(heap, stats);
    }
    if (index >= fromLine && stats.previousEnd !== undefined) {
      stats.collections++;
      stats.allocatedKb += Number(start) - stats.previousEnd;
      stats.pauseMs += Number(pause);
      stats.pauses.push(Number(pause));
      if (asked) stats.byBudget++;
      stats.liveKb.push(Number(end));
    }
    stats.largestKb = Math.max(stats.largestKb, Number(start));
    stats.previousEnd = Number(end);
  });

const ordered = [...heaps.values()].sort((a, b) => b.largestKb - a.largestKb);
ordered.forEach((stats, i) => {
  const per10k = (stats.collections * 10_000) / requests;
  console.log(
    `${i === 0 ? "main" : "thread"} heap: ${stats.collections} collections (${per10k.toFixed(1)} per 10,000 requests), ` +
      `${(stats.allocatedKb / requests).toFixed(2)} KB allocated per request, ` +
      `${((stats.pauseMs * 1000) / requests).toFixed(1)} µs of collection per request; ` +
      `pause median ${median(stats.pauses).toFixed(2)} ms (max ${Math.max(0, ...stats.pauses).toFixed(2)}), ` +
      `live after median ${(median(stats.liveKb) / 1024).toFixed(1)} MB; ` +
      `${stats.byBudget} of ${stats.collections} asked for by the allocation budget, the rest by JSC's timer`,
  );
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
