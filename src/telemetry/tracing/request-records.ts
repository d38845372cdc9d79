import { SpanKind } from "@opentelemetry/api";
import { nanos, seconds } from "./batch-span-parts.ts";
import {
  FIELDS,
  NONE,
  P_ATTRIBUTES,
  P_END,
  P_FIELDS,
  P_FLAGS,
  P_ID,
  P_KIND,
  P_MESSAGE,
  P_NAME,
  P_PARENT,
  P_PARENT_FLAGS,
  P_PARENT_ID,
  P_START,
  P_STATE,
  P_STATUS,
  PARENT_ID,
  PARENT_REMOTE,
  PARENT_SERVER,
  R_HEADER,
  R_PARTS,
  R_RESOURCE,
  R_SCOPE,
  R_SERVER_FLAGS,
  R_SERVER_ID,
  R_TRACE_ID,
  REQUEST,
  SPAN_ID,
  TRACE_ID,
} from "./span-batch-layout.ts";

/**
 * The export thread's side of request records (span-batch-layout.ts, `REQUEST`): a batch's
 * numbers with each request record made into the span records it stands for, every other span
 * record copied as it is, in order. The reader and the encoder then see span records only. One
 * array is kept and written again for each batch: the exporter serialises a batch as it is
 * handed one, before the next arrives.
 */
export class SpanRecords {
  private out = new Float64Array(0);

  /** `n` as span records only: a view of this object's array, valid until the next call. */
  of(n: Float64Array): Float64Array {
    // A part grows by the span record's fixed fields it leaves out: at most twice the input.
    if (this.out.length < n.length * 2) this.out = new Float64Array(n.length * 2);
    const out = this.out;
    let o = 0;
    let i = 0;
    while (i < n.length) {
      if (n[i] !== REQUEST) {
        const length = FIELDS + 1 + 2 * (n[i + FIELDS] as number);
        copy(n, i, out, o, length);
        o += length;
        i += length;
        continue;
      }
      const parts = n[i + R_PARTS] as number;
      let p = i + R_HEADER;
      for (let k = 0; k < parts; k++) {
        o = span(n, i, p, out, o);
        p += P_FIELDS + 2 * (n[p + P_ATTRIBUTES] as number);
      }
      i = p;
    }
    return out.subarray(0, o);
  }
}

/** Writes the span record of the part at `p` of the request record at `r` into `out` at `o`; returns its end. */
function span(n: Float64Array, r: number, p: number, out: Float64Array, o: number): number {
  const count = spanFields(n, r, p, out, o);
  copy(n, p + P_FIELDS, out, o + FIELDS + 1, 2 * count);
  return o + FIELDS + 1 + 2 * count;
}

/**
 * The fixed fields and the attribute count of the span record of the part at `p` of the request
 * record at `r`, into `out` at `o` (the attribute pairs left where they are, at `p + P_FIELDS`:
 * the encoder reads them there); returns the count.
 */
export function spanFields(n: Float64Array, r: number, p: number, out: Float64Array, o: number): number {
  const kind = n[p + P_KIND] as number;
  out[o] = n[p + P_NAME] as number;
  out[o + 1] = kind;
  out[o + 2] = 0;
  out[o + 3] = 0;
  out[o + 4] = n[p + P_FLAGS] as number;
  out[o + 5] = n[p + P_STATE] as number;
  const parent = n[p + P_PARENT];
  if (parent === PARENT_SERVER) {
    out[o + 6] = 1;
    out[o + 7] = n[r + R_SERVER_FLAGS] as number;
    out[o + 8] = 0;
    out[o + PARENT_ID] = n[r + R_SERVER_ID] as number;
    out[o + PARENT_ID + 1] = n[r + R_SERVER_ID + 1] as number;
  } else if (parent === PARENT_REMOTE) {
    out[o + 6] = 1;
    out[o + 7] = n[p + P_PARENT_FLAGS] as number;
    out[o + 8] = 1;
    out[o + PARENT_ID] = n[p + P_PARENT_ID] as number;
    out[o + PARENT_ID + 1] = n[p + P_PARENT_ID + 1] as number;
  } else {
    out[o + 6] = NONE;
    out[o + 7] = 0;
    out[o + 8] = 0;
    out[o + PARENT_ID] = 0;
    out[o + PARENT_ID + 1] = 0;
  }
  const start = n[p + P_START] as number;
  const end = n[p + P_END] as number;
  out[o + 9] = seconds(start);
  out[o + 10] = nanos(start);
  if (kind === SpanKind.CLIENT) {
    // As the SDK times a span not given its start: wall clock at the start, plus monotonic time.
    let endSeconds = seconds(start) + seconds(end);
    let endNanos = nanos(start) + nanos(end);
    if (endNanos >= 1e9) {
      endNanos -= 1e9;
      endSeconds += 1;
    }
    out[o + 11] = endSeconds;
    out[o + 12] = endNanos;
  } else {
    out[o + 11] = seconds(end);
    out[o + 12] = nanos(end);
  }
  out[o + 13] = n[p + P_STATUS] as number;
  out[o + 14] = n[p + P_MESSAGE] as number;
  out[o + 15] = 0;
  out[o + 16] = 0;
  out[o + 17] = 0;
  out[o + 18] = n[r + R_RESOURCE] as number;
  out[o + 19] = n[r + R_SCOPE] as number;
  out[o + 20] = NONE;
  for (let w = 0; w < 4; w++) out[o + TRACE_ID + w] = n[r + R_TRACE_ID + w] as number;
  out[o + SPAN_ID] = n[p + P_ID] as number;
  out[o + SPAN_ID + 1] = n[p + P_ID + 1] as number;
  const count = n[p + P_ATTRIBUTES] as number;
  out[o + FIELDS] = count;
  return count;
}

/** A loop, not `set` of a `subarray` (an object made per span, a native call for a few slots). */
function copy(from: Float64Array, at: number, to: Float64Array, into: number, length: number): void {
  for (let k = 0; k < length; k++) to[into + k] = from[at + k] as number;
}
