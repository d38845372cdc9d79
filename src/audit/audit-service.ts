import { randomUUID } from "node:crypto";
import { callerId, type Principal } from "../auth/principal.ts";
import { nodeName, withNodes } from "../cluster/node-name.ts";
import type { Config } from "../config/config-schema.ts";
import { describeError, messageOf } from "../core/describe-error.ts";
import { prunePassEvery } from "../core/prune-pass-every.ts";
import type { Logger } from "../log/logger.ts";
import type { AuditStore } from "../storage/storage.ts";
import { type AccessLineRelay, accessLineRelay } from "./access-line-relay.ts";
import { type AuditRecord, finishedAt } from "./audit-record.ts";
import { auditUnavailable } from "./audit-unavailable.ts";
import { AuditWriter } from "./audit-writer.ts";
import type { AuditWriterStats } from "./audit-writer-stats.ts";
import { droppedRowsLog } from "./dropped-rows-log.ts";
import { EventBus } from "./event-bus.ts";
import type { GatewayEvent } from "./gateway-event.ts";
import { ListenerFaults } from "./listener-faults.ts";
import { withoutBodies } from "./published-record.ts";
import { type RedactBody, redactSecrets } from "./redact-body.ts";
import { refusedRowsLog } from "./refused-rows-log.ts";
import { AuditRetention } from "./retention.ts";
import {
  STDERR_ROWS_BEGIN,
  STDERR_ROWS_END,
  saveUnwrittenRows,
  type UnwrittenRowsPlace,
  unwrittenRowsPaths,
} from "./unwritten-rows.ts";

/** How often the store's upkeep (SQLite: WAL checkpoints) runs. */
const MAINTAIN_MS = 30_000;

/** What audit reads off a request as it starts; http's request ledger is one. */
export interface StartedRequest {
  readonly startedAt: number;
  readonly requestId: string;
  readonly principal: Pick<Principal, "keyId" | "name" | "tenant" | "via"> | undefined;
  readonly model: string | null;
  readonly frontDoor: AuditRecord["frontDoor"];
  readonly stream: boolean;
  /** The app (`apps:`) whose front door took the request; null at the root's. */
  readonly app: string | null;
}

/** Told when each request starts and, with its one audit record, when it ends. */
export interface AuditObserver {
  started(request: StartedRequest): void;
  finished(record: AuditRecord): void;
}

/**
 * The audit concern assembled over `Storage.audit`: the batched writer, the live event bus,
 * retention and the store's upkeep. Queries and exports read the same store.
 */
export interface AuditService {
  readonly bus: EventBus;
  /** Read side for `/admin/api/audit` and exports. */
  readonly store: AuditStore;
  /** Structurally an http `RequestObserver` (the request ledger satisfies `StartedRequest`). */
  readonly observer: AuditObserver;
  /** The 503 to answer with while audit storage is down (unless `audit.fail_open`). */
  refusal(): ReturnType<typeof auditUnavailable> | undefined;
  /** While `refusal()` refuses: the storage's failure, in its words (for `/readyz`). */
  refusedBecause(): string | undefined;
  /** The writer's counts (queued, written, rejected, dropped), for metrics. */
  stats(): AuditWriterStats;
  /**
   * A reload's config: `audit.max_queue_bytes` bounds the queue from the next row, and
   * `audit.unwritten_rows` says where a later stop saves what it could not write. `audit.bodies`
   * needs nothing here, the front door reading it a request; `retention`, `flush_ms` and
   * `fail_open` are restart-only (restart-only.ts).
   */
  reconfigure(next: Config): void;
  /**
   * Resolves once the rows queued now are written (the batch is written early), or at once while
   * the storage fails: a reader that opens the event stream and then reads the log misses no
   * request whose event came before its stream did (`/admin/api/events`). Never rejects.
   */
  queuedWritten(): Promise<void>;
  /**
   * This process's token as a cluster node (`NodeEntry.instance`, new at every start): on its
   * `request.started` events, so a reader ends only its requests when it leaves, not those of a
   * process started again under the node's id (`node.left`). The directory's entry says the same.
   */
  readonly instance: string;
  /** Tells `listener` how long each batch write took, in ms (metrics). One listener. */
  onFlush(listener: (ms: number) => void): void;
  /**
   * Where served requests' access lines go with their rows (written by the audit thread), for the
   * access log; undefined where they do not (access-line-relay.ts).
   */
  readonly lines: AccessLineRelay | undefined;
  /**
   * Stops the schedules and writes every queued row, retrying failing storage until `until` (a
   * `performance.now()` time; by default, once). Rows still unwritten then are saved as NDJSON
   * (unwritten-rows.ts), and it rejects naming how many and where. The store is closed by its
   * owner.
   */
  close(until?: number): Promise<void>;
}

export function createAuditService(
  config: Config,
  store: AuditStore,
  logger: Logger,
  redactBody: RedactBody = redactSecrets,
  /** Where a stop saves rows its storage never took first (unwritten-rows.ts). */
  spill: UnwrittenRowsPlace = { beside: config.storage },
): AuditService {
  const bus = new EventBus(Date.now, new ListenerFaults(logger));
  const node = config.cluster ? nodeName(config.cluster) : null;
  const instance = randomUUID();
  let flushed: ((ms: number) => void) | undefined;
  /** The storage's error while it is down; undefined while it takes writes. */
  let failure: string | undefined;
  const lines = accessLineRelay(logger, store);
  const rowDrops = droppedRowsLog(logger);
  const refusedRows = refusedRowsLog(logger);
  /** `audit.max_queue_bytes` in force: a reload changes it. */
  let maxQueueBytes = config.audit.max_queue_bytes;
  /** `audit.unwritten_rows` in force: a reload changes it, read when a stop finds rows unwritten. */
  let unwrittenTo = config.audit.unwritten_rows;
  const writer = new AuditWriter({
    ...(lines ? { lines } : {}),
    onBatch: (_rows, ms) => flushed?.(ms),
    store,
    ...(store.batchSize ? { batchSize: store.batchSize } : {}),
    flushMs: config.audit.flush_ms,
    maxQueueBytes,
    bodyDrops: {
      started: (queuedBytes) =>
        logger.warn("audit bodies dropped", {
          queued_bytes: queuedBytes,
          max_queue_bytes: maxQueueBytes,
          further: "rows are written with their bodies replaced, counted until a body fits again",
        }),
      ended: (dropped) => logger.info("audit bodies kept again", { dropped }),
    },
    rowDrops,
    refusedRows,
    // Bodies are stored whenever a record carries them; the front door captures them only while
    // `audit.bodies` is on, so the setting follows config reloads.
    bodies: true,
    redact: redactBody,
    onHealthChange(healthy, error) {
      failure = healthy ? undefined : messageOf(error);
      // One or the other, by audit.fail_open: the line said both.
      if (healthy)
        logger.info(
          `audit storage recovered; ${config.audit.fail_open ? "the rows queued meanwhile are written" : "serving again"}`,
        );
      else
        logger.error(
          `audit storage failed (${failure}): ${
            config.audit.fail_open
              ? "audit.fail_open is set: serving requests unaudited, their rows queued until it recovers"
              : "refusing requests with 503 audit_unavailable until it recovers"
          }`,
        );
    },
  });
  const onError = (error: unknown) =>
    logger.warn(`audit maintenance failed: ${error instanceof Error ? error.message : "error"}`);
  const retentionMs = config.audit.retention;
  const intervalMs = prunePassEvery(retentionMs);
  const retention = new AuditRetention(store, { retentionMs, intervalMs, onError });
  const maintain = store.maintain?.bind(store);
  const upkeep =
    maintain === undefined
      ? null
      : setInterval(() => {
          maintain(writer.stats().queued === 0).catch(onError);
        }, MAINTAIN_MS);
  upkeep?.unref();
  retention.start();

  return {
    bus,
    store,
    lines,
    instance,
    observer: {
      started(ledger) {
        if (!bus.wants("request.started")) return;
        const event: Extract<GatewayEvent, { type: "request.started" }> = {
          type: "request.started",
          at: ledger.startedAt,
          requestId: ledger.requestId,
          keyId: ledger.principal === undefined ? null : callerId(ledger.principal),
          keyName: ledger.principal?.name ?? null,
          tenant: ledger.principal?.tenant ?? null,
          model: ledger.model,
          frontDoor: ledger.frontDoor,
          stream: ledger.stream,
        };
        // As on its record: only when the request came through an app.
        if (ledger.app !== null) event.app = ledger.app;
        // Constants: a reader ends the request's row once its node's process leaves the cluster (`node.left`).
        if (node !== null) {
          event.node = node;
          event.instance = instance;
        }
        bus.publish(event);
      },
      finished(unstamped) {
        const record = node === null ? unstamped : withNodes(unstamped, node);
        writer.write(record);
        // Finished when its latency ran out: its own start and length, no clock read a request.
        // Its bodies stay in the row (redacted there): no event carries them.
        if (bus.wants("request.finished"))
          bus.publish({ type: "request.finished", at: finishedAt(record), record: withoutBodies(record) });
      },
    },
    stats: () => writer.stats(),
    // A failing storage answers no read either: no wait for its retries.
    queuedWritten: () => (writer.healthy() ? writer.flush().catch(() => {}) : Promise.resolve()),
    reconfigure(next) {
      maxQueueBytes = next.audit.max_queue_bytes;
      writer.bound(maxQueueBytes);
      unwrittenTo = next.audit.unwritten_rows;
    },
    onFlush(listener) {
      flushed = listener;
    },
    refusal: () => (writer.healthy() || config.audit.fail_open ? undefined : auditUnavailable()),
    refusedBecause: () => (writer.healthy() || config.audit.fail_open ? undefined : failure),
    async close(until) {
      retention.stop();
      if (upkeep !== null) clearInterval(upkeep);
      const queued = writer.stats().queued;
      if (!writer.healthy() && queued > 0 && until !== undefined)
        logger.warn(
          `stop: audit storage is failing (${failure}); retrying for up to ${Math.max(0, Math.round((until - performance.now()) / 1000))} s (server.drain_timeout) to write the ${queued} queued audit rows`,
        );
      const { unwritten, maybeWritten } = await writer.close(until);
      // The closed writer refuses rows untold: the rows refused since the last line are said now.
      rowDrops.stop();
      refusedRows.stop();
      if (unwritten.length === 0) return;
      const lost =
        maybeWritten === 0
          ? `${unwritten.length} audit rows could not be written (audit storage: ${failure ?? "failing"})`
          : `${unwritten.length} audit rows could not be written in the stop's time (the first ${maybeWritten} were in a write still running, which may yet store them: look for their request ids before importing them)`;
      const paths = unwrittenRowsPaths(spill, new Date(), maybeWritten > 0, unwrittenTo);
      const saved = saveUnwrittenRows(unwritten, paths, undefined, config.log.format);
      const exported = "as NDJSON, one row a line as `mindgw audit export` writes them,";
      // Plain lines, or JSON warn lines with these words as their `msg` (log.format: json).
      const between = `between the log lines whose message begins "${STDERR_ROWS_BEGIN}" and "${STDERR_ROWS_END}"`;
      if ("stderr" in saved)
        throw new Error(
          paths.length === 0
            ? `${lost}; written to stderr (audit.unwritten_rows: stderr) ${exported} ${between}`
            : `${lost} nor saved to a file (${describeError(saved.error)}): written to stderr ${exported} ${between}`,
        );
      throw new Error(
        saved.temporary
          ? `${lost}; saved ${exported} to ${saved.path}, the only copy, in a temp directory that is cleaned (systemd's PrivateTmp deletes it at stop): move it now`
          : `${lost}; saved ${exported} to ${saved.path}`,
      );
    },
  };
}
