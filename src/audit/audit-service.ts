import type { Database } from "bun:sqlite";
import type { Config } from "../config/config-schema.ts";
import type { RequestObserver } from "../http/request-ledger.ts";
import type { Logger } from "../log/logger.ts";
import { closeDatabase, openDatabase } from "../storage/sqlite/open-database.ts";
import type { RedactBody } from "./audit-inserter.ts";
import { prepareAuditDatabase } from "./audit-schema.ts";
import { auditUnavailable } from "./audit-unavailable.ts";
import { AuditWriter } from "./audit-writer.ts";
import { EventBus } from "./event-bus.ts";
import { redactSecrets } from "./redact-body.ts";
import { AuditRetention } from "./retention.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

/**
 * The audit concern assembled: the batched writer, the live event bus, retention and WAL
 * checkpoints, and a reader handle for queries and exports.
 */
export interface AuditService {
  readonly bus: EventBus;
  /** Read handle for `/admin/api/audit` and exports. */
  readonly db: Database;
  readonly observer: RequestObserver;
  /** The 503 to answer with while audit storage is down (unless `audit.fail_open`). */
  refusal(): ReturnType<typeof auditUnavailable> | undefined;
  /** Flushes every queued row, checkpoints (TRUNCATE) and closes. */
  close(): Promise<void>;
}

export function createAuditService(
  config: Config,
  logger: Logger,
  redactBody: RedactBody = redactSecrets,
): AuditService {
  const path = config.storage.path;
  const db = openDatabase(path);
  prepareAuditDatabase(db);
  const bus = new EventBus();
  const open = () => {
    const handle = openDatabase(path);
    prepareAuditDatabase(handle);
    return handle;
  };
  const writer = new AuditWriter({
    database: open,
    flushMs: config.audit.flush_ms,
    // Bodies are stored whenever a record carries them; the front door captures them only while
    // `audit.bodies` is on, so the setting follows config reloads.
    bodies: true,
    redact: redactBody,
    onHealthChange(healthy, error) {
      if (healthy) logger.info("audit storage recovered; serving again");
      else
        logger.error(
          `audit storage failed (${error instanceof Error ? error.message : "error"}): refusing requests with 503 audit_unavailable${config.audit.fail_open ? " — fail_open is set, serving unaudited" : ""}`,
        );
    },
  });
  const onError = (error: unknown) =>
    logger.warn(`audit maintenance failed: ${error instanceof Error ? error.message : "error"}`);
  // A pass every quarter of the retention, at most once a minute: a row outlives its retention
  // by at most that much, and a short retention (tests, demos) is honoured promptly.
  const retentionMs = config.audit.retention;
  const intervalMs = Math.min(60_000, Math.max(250, Math.floor(retentionMs / 4)));
  const retention = new AuditRetention(db, { retentionMs, intervalMs, onError });
  const checkpointer = new WalCheckpointer(db, { isIdle: () => writer.stats().queued === 0, onError });
  retention.start();
  checkpointer.start();

  return {
    bus,
    db,
    observer: {
      started(ledger) {
        bus.publish({
          type: "request.started",
          at: ledger.startedAt,
          requestId: ledger.requestId,
          keyName: ledger.principal?.name ?? null,
          tenant: ledger.principal?.tenant ?? null,
          model: ledger.model,
          frontDoor: ledger.frontDoor,
          stream: ledger.stream,
        });
      },
      finished(record) {
        writer.write(record);
        bus.publish({ type: "request.finished", at: Date.now(), record });
      },
    },
    refusal: () => (writer.healthy() || config.audit.fail_open ? undefined : auditUnavailable()),
    async close() {
      retention.stop();
      checkpointer.stop();
      await writer.close();
      closeDatabase(db);
    },
  };
}
