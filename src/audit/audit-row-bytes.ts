import { freeNow } from "../core/free-now.ts";
import { type Utf8Bytes, utf8Bytes } from "../core/utf8-bytes.ts";
import type { AuditAttempt } from "./audit-attempt.ts";
import type { AuditRecord } from "./audit-record.ts";
import { HEAD, REPEATABLE, ROW_LINE, type RowLine, SLOT, TAG } from "./audit-row-layout.ts";
import { soleAttemptMs } from "./sole-attempt.ts";

/**
 * Audit rows as the bytes the writer queues (encoded-rows.ts) and an audit thread reads back
 * (`AuditStore.insertEncoded`; the SQLite and PostgreSQL threads): each record's fields in
 * `FIELD`'s order (audit-row-fields.ts), each a byte that says what it is and its value — a number
 * as its 8 bytes, a string as its UTF-8 written in place after its length. A batch is rows one
 * after another. Where the row was a JSON array made by `JSON.stringify` on the event loop and
 * parsed back by the thread, each field is now written straight from the record: no string a row,
 * no escaping, no number printed as text and read again (docs/BENCHMARKS-HISTORY.md, "Session 16:
 * the audit row's way to its thread"). Written and read by the same build only (a process and its
 * own thread), so the layout is no wire format.
 *
 * Most rows repeat the row before in their key, model, route, client and app fields: such a string
 * is written as `TAG.SAME` (one byte), not its bytes again, and the thread takes the string it read
 * for that field before (the same string, so the inserter's interning finds it at once). A reference
 * never reaches outside its batch: the writer starts a run (`newRun`) where a batch may start, and
 * the reader of a batch starts with no field read.
 */

/** A growing buffer of encoded rows: `put` appends one, at amortised constant cost. */
export class AuditRowWriter {
  bytes: Utf8Bytes;
  /** The bytes written so far. */
  used = 0;
  /** What `bytes` and `view` are views of. */
  private memory: ArrayBuffer;
  private view: DataView;
  /** By slot, the last string written in this run; undefined where none was. */
  private readonly last: (string | undefined)[] = new Array(REPEATABLE).fill(undefined);

  constructor(private readonly firstSize: number) {
    this.memory = new ArrayBuffer(firstSize);
    this.bytes = utf8Bytes(this.memory);
    this.view = new DataView(this.memory);
  }

  /** The next row starts a run: it refers to no row before it, so a batch may start there. */
  newRun(): void {
    this.last.fill(undefined);
  }

  /**
   * Appends `r`'s row. `line`: what its last byte says of its access line (`ROW_LINE`: none, or
   * the format its audit thread writes it in).
   */
  put(r: AuditRecord, line: RowLine = ROW_LINE.NONE): void {
    this.text(r.requestId, SLOT.WHOLE);
    this.number(r.startedAt);
    this.text(r.keyId, SLOT.KEY_ID);
    this.text(r.keyName, SLOT.KEY_NAME);
    this.text(r.tenant, SLOT.TENANT);
    this.text(r.role, SLOT.ROLE);
    this.text(r.frontDoor, SLOT.FRONT_DOOR);
    this.text(r.model, SLOT.MODEL);
    this.text(r.route, SLOT.ROUTE);
    this.text(r.upstreamModel, SLOT.UPSTREAM_MODEL);
    this.number(r.status);
    this.text(r.errorClass, SLOT.ERROR_CLASS);
    this.boolean(r.stream);
    this.number(r.latencyMs);
    this.number(r.ttfbMs);
    this.number(r.inputTokens);
    this.number(r.outputTokens);
    this.number(r.costUsd);
    this.text(r.clientIp, SLOT.CLIENT_IP);
    this.text(r.userAgent, SLOT.USER_AGENT);
    this.text(r.errorMessage, SLOT.WHOLE);
    this.text(r.dropped, SLOT.DROPPED);
    // The one ok attempt on the row's own route and model as its duration (sole-attempt.ts).
    const soleMs = soleAttemptMs(r.attempts, r.route, r.upstreamModel);
    if (soleMs !== null) this.number(soleMs);
    else this.attempts(r.attempts);
    this.text(r.node, SLOT.NODE);
    this.text(r.servedNode, SLOT.SERVED_NODE);
    // Mostly the row before's (one app's traffic, or none): one byte.
    this.text(r.app, SLOT.APP);
    this.text(r.requestBody, SLOT.WHOLE);
    this.text(r.responseBody, SLOT.WHOLE);
    this.tag(line);
  }

  /** The rows written, as a view of the buffer. */
  written(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.memory, 0, this.used);
  }

  /** Sets the line byte of the row that ends before byte `end` (its last) to `ROW_LINE.NONE`. */
  clearLine(end: number): void {
    this.bytes[end - 1] = ROW_LINE.NONE;
  }

  /** The line byte of the row that ends before byte `end`. */
  lineAt(end: number): RowLine {
    return this.bytes[end - 1] as RowLine;
  }

  /** A buffer grown past `keep` bytes is cut to the bytes written, the rest of it freed. */
  trim(keep: number): void {
    if (this.memory.byteLength > keep && this.used < this.memory.byteLength)
      this.replace(this.memory.transfer(this.used));
  }

  /** Its memory freed now (core/free-now.ts); it takes no more rows. */
  free(): void {
    freeNow(this.memory);
    this.used = 0;
  }

  /**
   * Forgets every row (the next starts a run); a buffer grown past `keep` bytes is given up for
   * one of the first size, its memory freed at once.
   */
  clear(keep: number): void {
    this.used = 0;
    this.newRun();
    if (this.memory.byteLength <= keep) return;
    freeNow(this.memory);
    this.replace(new ArrayBuffer(this.firstSize));
  }

  /** `slot`: where the field's last string is kept, or `SLOT.WHOLE`. */
  private text(value: string | null | undefined, slot: number): void {
    if (value == null) {
      this.tag(TAG.NULL);
      return;
    }
    if (slot !== SLOT.WHOLE) {
      // Mostly the very same string (the key's, the route's), which `===` finds without reading it.
      if (this.last[slot] === value) {
        this.tag(TAG.SAME);
        return;
      }
      this.last[slot] = value;
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: room for that, but for a long string (a body),
    // counted exactly. Three times a 4 MB prompt grew the buffer to 16 MB for the 4 it took.
    const most = value.length > LONG_TEXT ? Buffer.byteLength(value, "utf8") : 3 * value.length;
    this.room(HEAD + most);
    const at = this.used;
    this.bytes[at] = TAG.TEXT;
    const size = this.bytes.utf8Write(value, at + 5, most);
    this.view.setUint32(at + 1, size, true);
    this.used = at + 5 + size;
  }

  /** Null (or absent) is written as null, as the JSON text wrote it. */
  private number(value: number | null | undefined): void {
    if (value == null) {
      this.tag(TAG.NULL);
      return;
    }
    this.room(HEAD);
    const at = this.used;
    this.bytes[at] = TAG.NUMBER;
    this.view.setFloat64(at + 1, value, true);
    this.used = at + HEAD;
  }

  private boolean(value: boolean): void {
    this.tag(value ? TAG.TRUE : TAG.FALSE);
  }

  private attempts(attempts: readonly AuditAttempt[] | null | undefined): void {
    if (attempts == null) {
      this.tag(TAG.NULL);
      return;
    }
    this.room(5);
    this.bytes[this.used] = TAG.ATTEMPTS;
    this.view.setUint32(this.used + 1, attempts.length, true);
    this.used += 5;
    for (const a of attempts) {
      this.text(a.route, SLOT.WHOLE);
      this.text(a.upstreamModel, SLOT.WHOLE);
      this.text(a.outcome, SLOT.WHOLE);
      this.number(a.status);
      this.text(a.errorClass, SLOT.WHOLE);
      this.number(a.durationMs);
      this.number(a.billed?.inputTokens);
      this.number(a.billed?.outputTokens);
      this.number(a.billed?.costUsd);
    }
  }

  private tag(tag: number): void {
    this.room(1);
    this.bytes[this.used++] = tag;
  }

  /** Room for `count` more bytes, doubling. */
  private room(count: number): void {
    const needed = this.used + count;
    if (needed <= this.bytes.length) return;
    let length = this.bytes.length * 2;
    while (length < needed) length *= 2;
    // The bytes moved into the larger buffer and the smaller one's memory freed in the same step,
    // where a copy left it to the collector.
    this.replace(this.memory.transfer(length));
  }

  private replace(memory: ArrayBuffer): void {
    this.memory = memory;
    this.bytes = utf8Bytes(memory);
    this.view = new DataView(memory);
  }
}

/** Longer than this, a string's room is its exact UTF-8 size, not three bytes a unit. */
const LONG_TEXT = 1024;

/**
 * Records as a batch (one run) for an audit thread (the writer's queue makes its batches itself:
 * encoded-rows.ts).
 */
export function encodeAuditBatch(records: readonly AuditRecord[]): Uint8Array<ArrayBuffer> {
  const writer = new AuditRowWriter(256 * Math.max(1, records.length));
  for (const record of records) writer.put(record);
  return writer.written();
}
