import type { AuditRecord } from "./audit-record.ts";
import { bodyBytes, RECORD_BYTES } from "./pending-rows.ts";
import { withoutBodies } from "./published-record.ts";
import { type RedactBody, redactSafely } from "./redact-body.ts";

/**
 * What a row's body reads when the audit queue had no room for it (`maxQueueBytes`): the row is
 * written, its body is not kept.
 */
export const BODY_NOT_KEPT = "[body not kept: the audit queue held audit.max_queue_bytes]";

/**
 * The rows queued without their bodies, a burst at a time: from the first such row to the next row
 * whose bodies are kept. One a request while storage lags would bury the log.
 */
export interface BodyDrops {
  /** A burst's first row queued without its bodies, the queue holding `queuedBytes`. */
  started(queuedBytes: number): void;
  /** A row's bodies kept again, after `dropped` rows queued without theirs. */
  ended(dropped: number): void;
}

/** What decides a queued row's bodies (`AuditWriterOptions`). */
export interface QueuedBodiesOptions {
  /** `audit.bodies`: store request/response bodies, always through `redact`. */
  bodies?: boolean;
  redact?: RedactBody;
  bodyDrops?: BodyDrops;
}

/**
 * The share of `maxQueueBytes` bodies never take: room for the rows that come, their bodies not
 * kept, while the queue is full of bodies. Without it a body that just fitted left the queue at
 * the bound, and every row after it was refused whole rather than kept without its bodies.
 */
const ROWS_ROOM_SHARE = 1 / 16;

/**
 * The bodies a row takes into the audit queue: through the redaction hook when they fit beside what
 * is queued, each `BODY_NOT_KEPT` otherwise (counted in `dropped`, a burst of those told to
 * `bodyDrops`). The row is the promise, its bodies an option the memory must not pay for without
 * bound while the store writes them slower than they come.
 */
export class QueuedBodies {
  /** Rows queued with their bodies replaced by `BODY_NOT_KEPT`. */
  dropped = 0;
  /** Rows queued without their bodies since a row last kept its own (`BodyDrops`). */
  private droppedInBurst = 0;

  constructor(private readonly options: QueuedBodiesOptions) {}

  /**
   * The record as queued, the queue holding `queuedBytes` of `maxQueueBytes`. Bodies leave only
   * through the redaction hook, and only with `bodies` on; only when the queue has room for them,
   * else each is `BODY_NOT_KEPT` (and not redacted, nor read).
   */
  of(record: AuditRecord, queuedBytes: number, maxQueueBytes: number): AuditRecord {
    // The common case (no bodies captured) needs no copy.
    const rest = withoutBodies(record);
    const { requestBody, responseBody } = record;
    if (rest === record || !this.options.bodies || (requestBody == null && responseBody == null)) return rest;
    if (!this.fit(bodyBytes(record), queuedBytes, maxQueueBytes)) {
      return {
        ...rest,
        requestBody: requestBody == null ? null : BODY_NOT_KEPT,
        responseBody: responseBody == null ? null : BODY_NOT_KEPT,
      };
    }
    const redact = this.options.redact ?? ((body: string) => body);
    return {
      ...rest,
      requestBody: requestBody == null ? null : redactSafely(redact, requestBody, "request"),
      responseBody: responseBody == null ? null : redactSafely(redact, responseBody, "response"),
    };
  }

  /**
   * Whether bodies of `bytes` fit beside what is queued, with their row and the room kept for rows
   * (`ROWS_ROOM_SHARE`); a burst of those that did not is told of.
   */
  private fit(bytes: number, queuedBytes: number, maxQueueBytes: number): boolean {
    if (queuedBytes + bytes + RECORD_BYTES > maxQueueBytes * (1 - ROWS_ROOM_SHARE)) {
      this.dropped++;
      if (this.droppedInBurst++ === 0) this.options.bodyDrops?.started(queuedBytes);
      return false;
    }
    if (this.droppedInBurst > 0) {
      this.options.bodyDrops?.ended(this.droppedInBurst);
      this.droppedInBurst = 0;
    }
    return true;
  }
}
