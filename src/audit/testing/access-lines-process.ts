/**
 * A process that serves requests' access lines as the gateway does, over a real SQLite audit
 * thread, SQLite's or PostgreSQL's (access-line-relay.test.ts): the default stderr logger, the audit
 * writer with the relay, the access log. argv: the database path (or a `postgres://` URL), `log.format`, how the process ends (`close`: the writer
 * flushes and closes; `exit`: `process.exit` with rows queued; `crash`: an uncaught exception with
 * rows queued; `in-flight`: `process.exit` right after a batch is posted), and how many requests
 * (every fifth refused with a 429, every seventh failed with a 502).
 */

import { GatewayError } from "../../core/gateway-error.ts";
import { createLogger } from "../../log/logger.ts";
import { openPostgresStorage } from "../../storage/postgres/postgres-storage.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { accessLog } from "../../telemetry/access-log.ts";
import { accessLineRelay } from "../access-line-relay.ts";
import { makeRecord } from "../audit-fixture.ts";
import { AuditWriter } from "../audit-writer.ts";

const [path = "", format = "text", ending = "close", requests = "20"] = process.argv.slice(2);
const storage = path.startsWith("postgres")
  ? await openPostgresStorage({
      url: path,
      pool: 2,
      statementTimeoutMs: 5_000,
      connectTimeoutMs: 1_000,
      sslmode: "disable",
    })
  : openSqliteStorage(path);
const logger = createLogger({ format: format === "json" ? "json" : "text" });
const relay = accessLineRelay(logger, storage.audit);
if (relay === undefined) throw new Error("the relay applies here");
const writer = new AuditWriter({
  store: storage.audit,
  lines: relay,
  flushMs: ending === "close" ? 5 : 60_000,
});
const log = accessLog(logger, relay);
for (let i = 0; i < Number(requests); i++) {
  const status = i % 5 === 4 ? 429 : i % 7 === 6 ? 502 : 200;
  const error =
    status === 200
      ? undefined
      : new GatewayError({
          status,
          code: status === 429 ? "rate_limited" : "upstream_error",
          message: `no ${i}`,
        });
  const record = makeRecord({
    requestId: `r${i}`,
    startedAt: 1_700_000_000_000 + i,
    status,
    errorClass: error?.code ?? null,
    latencyMs: 1.25 + i,
  });
  writer.write(record);
  log(record, error);
}
if (ending === "close") {
  await writer.close();
  await storage.close();
} else if (ending === "exit") process.exit(0);
else if (ending === "crash")
  setImmediate(() => {
    throw new Error("boom");
  });
else if (ending === "in-flight") {
  // Once the batch is posted (no row waits), before its answer, most likely.
  void writer.flush();
  while (writer.stats().queued > 0) await new Promise((resolve) => setImmediate(resolve));
  process.exit(0);
}
