import { type Utf8Bytes, utf8Bytes } from "../core/utf8-bytes.ts";
import type { AuditAttempt } from "./audit-attempt.ts";
import type { AuditRecord, FrontDoor } from "./audit-record.ts";
import { type AuditRowFields, recordOf } from "./audit-row-fields.ts";
import { HEAD, REPEATABLE, ROW_LINE, type RowLine, SLOT, TAG } from "./audit-row-layout.ts";

/**
 * A batch's rows as their fields, as an audit thread binds them: no object a record, and each body
 * a view into `batch` (audit-row-fields.ts `BodyText`), to be read while it is. `lines`, when
 * given, gets each row's line byte (`ROW_LINE`), at the row's index.
 */
export function parseAuditBatch(batch: Uint8Array, lines?: RowLine[]): AuditRowFields[] {
  const reader = new RowReader(batch);
  const rows: AuditRowFields[] = [];
  while (reader.more()) {
    rows.push(reader.row());
    const line = reader.line();
    if (lines) lines.push(line);
  }
  return rows;
}

/** A batch as records again. */
export function decodeAuditRows(batch: Uint8Array): AuditRecord[] {
  return parseAuditBatch(batch).map(recordOf);
}

/** Reads a batch's values in the order `AuditRowWriter.put` wrote them. */
class RowReader {
  private readonly bytes: Utf8Bytes;
  private readonly view: DataView;
  private at = 0;
  /** By slot, the last string read for that field (what `TAG.SAME` stands for). */
  private readonly last: (string | null)[] = new Array(REPEATABLE).fill(null);

  constructor(batch: Uint8Array) {
    this.bytes = utf8Bytes(batch.buffer, batch.byteOffset, batch.byteLength);
    this.view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  }

  more(): boolean {
    return this.at < this.bytes.length;
  }

  row(): AuditRowFields {
    return [
      this.string(SLOT.WHOLE),
      this.number(),
      this.text(SLOT.KEY_ID),
      this.text(SLOT.KEY_NAME),
      this.text(SLOT.TENANT),
      this.text(SLOT.ROLE),
      this.string(SLOT.FRONT_DOOR) as FrontDoor,
      this.text(SLOT.MODEL),
      this.text(SLOT.ROUTE),
      this.text(SLOT.UPSTREAM_MODEL),
      this.number(),
      this.text(SLOT.ERROR_CLASS),
      this.boolean(),
      this.number(),
      this.numberOrNull(),
      this.number(),
      this.number(),
      this.number(),
      this.text(SLOT.CLIENT_IP),
      this.text(SLOT.USER_AGENT),
      this.text(SLOT.WHOLE),
      this.text(SLOT.DROPPED),
      this.attempts(),
      this.text(SLOT.NODE),
      this.text(SLOT.SERVED_NODE),
      this.text(SLOT.APP),
      this.body(),
      this.body(),
    ];
  }

  /** The line byte after a row's fields. */
  line(): RowLine {
    const line = this.bytes[this.at++];
    if (line === ROW_LINE.NONE || line === ROW_LINE.TEXT || line === ROW_LINE.JSON) return line;
    return this.malformed("a row's line byte");
  }

  private text(slot: number): string | null {
    const tag = this.bytes[this.at];
    if (tag === TAG.NULL) {
      this.at++;
      return null;
    }
    if (tag === TAG.SAME && slot !== SLOT.WHOLE) {
      this.at++;
      return this.last[slot] ?? this.malformed("a string read before in the batch");
    }
    if (tag !== TAG.TEXT) return this.malformed("a string");
    const start = this.at + 5;
    const end = start + this.view.getUint32(this.at + 1, true);
    this.at = end;
    const value = this.bytes.utf8Slice(start, end);
    if (slot !== SLOT.WHOLE) this.last[slot] = value;
    return value;
  }

  /** A body's UTF-8 as a view into the batch (audit-row-fields.ts `BodyText`), or null. */
  private body(): Uint8Array | null {
    const tag = this.bytes[this.at];
    if (tag === TAG.NULL) {
      this.at++;
      return null;
    }
    if (tag !== TAG.TEXT) return this.malformed("a body");
    const start = this.at + 5;
    this.at = start + this.view.getUint32(this.at + 1, true);
    return this.bytes.subarray(start, this.at);
  }

  private string(slot: number): string {
    return this.text(slot) ?? this.malformed("a string, not null");
  }

  private numberOrNull(): number | null {
    const tag = this.bytes[this.at];
    if (tag === TAG.NULL) {
      this.at++;
      return null;
    }
    if (tag !== TAG.NUMBER) return this.malformed("a number");
    const value = this.view.getFloat64(this.at + 1, true);
    this.at += HEAD;
    return value;
  }

  /**
   * A number the record's type never leaves null, read as the JSON text read it: null when it
   * was written so (an embedder's record out of its type).
   */
  private number(): number {
    return this.numberOrNull() as number;
  }

  private boolean(): boolean {
    const tag = this.bytes[this.at++];
    if (tag === TAG.TRUE) return true;
    if (tag === TAG.FALSE) return false;
    return this.malformed("a boolean");
  }

  private attempts(): readonly AuditAttempt[] | number | null {
    const tag = this.bytes[this.at];
    if (tag !== TAG.ATTEMPTS) return this.numberOrNull();
    const count = this.view.getUint32(this.at + 1, true);
    this.at += 5;
    const attempts: AuditAttempt[] = [];
    for (let i = 0; i < count; i++) {
      const attempt: AuditAttempt = {
        route: this.string(SLOT.WHOLE),
        upstreamModel: this.string(SLOT.WHOLE),
        outcome: this.string(SLOT.WHOLE) as AuditAttempt["outcome"],
        status: this.numberOrNull(),
        errorClass: this.text(SLOT.WHOLE),
        durationMs: this.number(),
      };
      const inputTokens = this.numberOrNull();
      const outputTokens = this.numberOrNull();
      const costUsd = this.numberOrNull();
      if (inputTokens !== null && outputTokens !== null && costUsd !== null)
        attempt.billed = { inputTokens, outputTokens, costUsd };
      attempts.push(attempt);
    }
    return attempts;
  }

  private malformed(expected: string): never {
    throw new Error(`audit batch: expected ${expected} at byte ${this.at}`);
  }
}
