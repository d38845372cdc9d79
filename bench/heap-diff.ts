/**
 * Compares two lines of a MINDGW_HEAP_STATS file (see src/telemetry/debug/heap-stats-on-signal.ts):
 * JS heap size and the object types whose count grew most between them.
 *   bun bench/heap-diff.ts FILE [FROM_LINE=1] [TO_LINE=last]   (1-based)
 */
import { readFileSync } from "node:fs";

interface Line {
  at: string;
  beforeGc?: { rss: number; heapSize: number };
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  heapSize: number;
  objectCount: number;
  objectTypeCounts: Record<string, number>;
}
const [file, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error("usage: bun bench/heap-diff.ts FILE [FROM] [TO]");
const lines = readFileSync(file, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Line);
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
console.log("| at | rss before GC | heapSize before GC | rss | heapSize | objects | external |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
const before = (l: Line, key: "rss" | "heapSize") => (l.beforeGc ? mib(l.beforeGc[key]) : "–");
for (const l of lines)
  console.log(
    `| ${l.at} | ${before(l, "rss")} | ${before(l, "heapSize")} | ${mib(l.memory.rss)} | ${mib(l.heapSize)} | ${l.objectCount} | ${mib(l.memory.external)} |`,
  );
const a = lines[Number(fromArg ?? "1") - 1];
const b = lines[Number(toArg ?? String(lines.length)) - 1];
if (!a || !b) throw new Error("no such line");
const growth = Object.keys({ ...a.objectTypeCounts, ...b.objectTypeCounts })
  .map((type) => ({ type, from: a.objectTypeCounts[type] ?? 0, to: b.objectTypeCounts[type] ?? 0 }))
  .map((row) => ({ ...row, delta: row.to - row.from }))
  .sort((x, y) => y.delta - x.delta)
  .slice(0, 25);
console.log(`\nobject types grown most, ${a.at} → ${b.at}`);
for (const row of growth)
  console.log(`${String(row.delta).padStart(9)}  ${row.type} (${row.from} → ${row.to})`);
