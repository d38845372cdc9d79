/**
 * Exports an audit database in a fresh process and reports the lines written and how far
 * RSS rose above the process's own baseline. Run by audit-export-memory.test.ts, so that the
 * measurement is not polluted by whatever other tests left on the heap.
 * Usage: bun export-probe.ts <db path> <ndjson|csv>
 */
import { openDatabase } from "../../storage/sqlite/open-database.ts";
import { createSqliteAuditStore } from "../../storage/sqlite/sqlite-audit-store.ts";
import { exportAuditStream } from "../audit-export.ts";
import { auditFilterSchema } from "../audit-query-schema.ts";

const [path, format] = process.argv.slice(2);
if (!path || (format !== "ndjson" && format !== "csv"))
  throw new Error("usage: export-probe.ts <db> <ndjson|csv>");
const db = openDatabase(path, { readonly: true });
Bun.gc(true);
const baseline = process.memoryUsage().rss;
let peak = baseline;
let lines = 0;
for await (const chunk of exportAuditStream(
  createSqliteAuditStore({ database: db }),
  auditFilterSchema.parse({ order: "asc" }),
  format,
)) {
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  peak = Math.max(peak, process.memoryUsage().rss);
}
db.close();
process.stdout.write(`${JSON.stringify({ lines, growth: peak - baseline })}\n`);
