import { heapStats } from "bun:jsc";
import { appendFileSync } from "node:fs";

/**
 * A debugging aid for memory investigations (issue 12, soak), off unless `MINDGW_HEAP_STATS`
 * names a file: then each SIGUSR2 runs a full GC and appends one JSON line with
 * `process.memoryUsage()` and JavaScriptCore's heap statistics (object counts by type), so two
 * points of a long run can be compared. `beforeGc` is the heap and RSS as the signal found them:
 * the difference to the rest of the line is garbage the collector had not yet reclaimed.
 * Nothing runs per request.
 */
export function heapStatsOnSignal(file: string | undefined): void {
  if (!file) return;
  process.on("SIGUSR2", () => {
    const beforeGc = { rss: process.memoryUsage.rss(), heapSize: heapStats().heapSize };
    Bun.gc(true);
    const stats = heapStats();
    const line = {
      at: new Date().toISOString(),
      beforeGc,
      memory: process.memoryUsage(),
      heapSize: stats.heapSize,
      heapCapacity: stats.heapCapacity,
      extraMemorySize: stats.extraMemorySize,
      objectCount: stats.objectCount,
      protectedObjectCount: stats.protectedObjectCount,
      objectTypeCounts: stats.objectTypeCounts,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
