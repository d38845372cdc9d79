/**
 * Bytes allocated per request, from a gateway's `BUN_JSC_logGC=true` stderr: under a fixed wrk
 * run, each collection's `START M <a>kb … => <b>kb` gives the heap before it and after it, so the
 * heap grew by this START minus the previous END in between — what was allocated. Counted per
 * heap: the SQLite audit store runs on its own thread with its own heap, whose (cheap, off the
 * event loop) collections a count of every `END]` line would mix in. The main heap is the larger.
 *   bun bench/gc-log-stats.ts LOG --requests N [--from-line L]
 * `--from-line`: only collections that start after this line of LOG (its length when the measured
 * run began).
 * A collection JSC runs in several increments logs one line per increment (`START …`, `M …`, the
 * last with `=> <b>kb … END]`); every increment's pause is the mutator stopped, so a collection's
 * pause is their sum. Full collections (a visit of the whole heap, several increments) are
 * reported apart from eden ones. Also printed: the median eden pause (the p99 at c=1 is set by
 * the main heap's), the median heap left live after a collection (old garbage included: an eden
 * collection leaves it), what each eden collection added to it (promoted, or reported outside
 * memory still held), and how many collections the allocation budget asked for (the rest: JSC's
 * eden timer).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { median } from "./stats.ts";

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

const HEAP = /^\[GC<(0x[0-9a-f]+)>: (.*)$/;
const START = /START M (\d+)kb => (Eden|Full)Collection/;
const PAUSE = /p=([\d.]+)ms/;
const END = /=> (\d+)kb, p=[\d.]+ms.*END\]/;
/** What an increment visited (marked), cumulative over the collection's increments. */
const VISITED = /v=(\d+)kb/g;

interface Collection {
  full: boolean;
  startKb: number;
  pauseMs: number;
  visitedKb: number;
  /** Asked for by the allocation budget (JSC logs why just before the collection starts). */
  byBudget: boolean;
  counted: boolean;
}
interface HeapStats {
  open: Collection | undefined;
  previousEnd: number | undefined;
  previousWasEden: boolean;
  allocatedKb: number;
  eden: number[];
  edenVisitedKb: number[];
  full: number[];
  liveKb: number[];
  promotedKb: number[];
  byBudget: number;
  largestKb: number;
}
const heaps = new Map<string, HeapStats>();
const heap = (id: string): HeapStats => {
  let stats = heaps.get(id);
  if (!stats) {
    stats = {
      open: undefined,
      previousEnd: undefined,
      previousWasEden: false,
      allocatedKb: 0,
      eden: [],
      edenVisitedKb: [],
      full: [],
      liveKb: [],
      promotedKb: [],
      byBudget: 0,
      largestKb: 0,
    };
    heaps.set(id, stats);
  }
  return stats;
};

// JSC logs "Requesting GC because bytes allocated this cycle … exceed bytes allowed" just before a
// collection its allocation budget asked for; the others are its eden timer's (GCActivityCallback:
// due sooner the more was allocated and the shorter the last pause), which at c=1 is most of them.
let budgetAsked = false;
readFileSync(path, "utf8")
  .split("\n")
  .forEach((line, index) => {
    if (line.startsWith("Requesting GC because")) budgetAsked = true;
    const match = HEAP.exec(line);
    if (!match) return;
    const stats = heap(match[1] ?? "");
    const text = match[2] ?? "";
    const start = START.exec(text);
    if (start) {
      stats.open = {
        full: start[2] === "Full",
        startKb: Number(start[1]),
        pauseMs: 0,
        visitedKb: 0,
        byBudget: budgetAsked,
        counted: index >= fromLine && stats.previousEnd !== undefined,
      };
      budgetAsked = false;
      stats.largestKb = Math.max(stats.largestKb, stats.open.startKb);
    }
    const open = stats.open;
    if (!open) return;
    open.pauseMs += Number(PAUSE.exec(text)?.[1] ?? 0);
    for (const visited of text.matchAll(VISITED))
      open.visitedKb = Math.max(open.visitedKb, Number(visited[1]));
    const end = END.exec(text);
    if (!end) return;
    const endKb = Number(end[1]);
    if (open.counted && stats.previousEnd !== undefined) {
      stats.allocatedKb += open.startKb - stats.previousEnd;
      (open.full ? stats.full : stats.eden).push(open.pauseMs);
      if (!open.full) stats.edenVisitedKb.push(open.visitedKb);
      stats.liveKb.push(endKb);
      if (open.byBudget) stats.byBudget++;
      if (!open.full && stats.previousWasEden) stats.promotedKb.push(endKb - stats.previousEnd);
    }
    stats.previousEnd = endKb;
    stats.previousWasEden = !open.full;
    stats.open = undefined;
  });

const ordered = [...heaps.values()].sort((a, b) => b.largestKb - a.largestKb);
ordered.forEach((stats, i) => {
  const collections = stats.eden.length + stats.full.length;
  const pauseMs = [...stats.eden, ...stats.full].reduce((sum, p) => sum + p, 0);
  const per10k = (n: number) => ((n * 10_000) / requests).toFixed(1);
  const ms = (p: number) => (Number.isNaN(p) ? "–" : p.toFixed(2));
  console.log(
    `${i === 0 ? "main" : "thread"} heap: ${collections} collections (${per10k(collections)} per 10,000 requests; ` +
      `${stats.full.length} full), ${(stats.allocatedKb / requests).toFixed(2)} KB allocated per request, ` +
      `${((pauseMs * 1000) / requests).toFixed(1)} µs of collection per request; ` +
      `eden pause median ${ms(median(stats.eden))} ms (max ${ms(Math.max(0, ...stats.eden))}), ` +
      `visiting ${(median(stats.edenVisitedKb) || 0).toFixed(0)} KB (median), ` +
      `full pause median ${ms(median(stats.full))} ms; ` +
      `live after median ${(median(stats.liveKb) / 1024).toFixed(1)} MB, ` +
      `${(median(stats.promotedKb) || 0).toFixed(0)} KB more after each eden collection (median); ` +
      `${stats.byBudget} of ${collections} asked for by the allocation budget, the rest by JSC's timer`,
  );
});
