import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import { SpanBatchBuffer } from "./span-batch-buffer.ts";
import {
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
  R_HEADER,
  R_PARTS,
  R_RESOURCE,
  R_SCOPE,
  R_SERVER_FLAGS,
  R_SERVER_ID,
  R_TRACE_ID,
  REQUEST,
} from "./span-batch-layout.ts";

/**
 * Writes a request's spans as one record (span-batch-layout.ts, `REQUEST`), as the gateway's
 * request traces do (batch-request-trace.ts): `beginRequest`, then for each span `part`, its
 * attributes and `endPart`. The export thread makes each record into the span records it
 * stands for (request-records.ts).
 */
export class RequestRecordWriter extends SpanBatchBuffer {
  /**
   * Starts a request's record of `parts` spans: the trace id (`t0`–`t3`, most significant first)
   * and the server span's id and flags, which every attempt names as its parent. Then `part` for
   * each span, its attributes, `endPart`; nothing else between.
   */
  beginRequest(
    resource: Resource,
    scope: InstrumentationScope,
    parts: number,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    s0: number,
    s1: number,
    flags: number,
  ): void {
    this.room(R_HEADER);
    const n = this.numbers;
    const i = this.at;
    n[i] = REQUEST;
    n[i + R_RESOURCE] = this.origins.resourceOf(resource);
    n[i + R_SCOPE] = this.origins.scopeOf(scope);
    n[i + R_TRACE_ID] = t0;
    n[i + R_TRACE_ID + 1] = t1;
    n[i + R_TRACE_ID + 2] = t2;
    n[i + R_TRACE_ID + 3] = t3;
    n[i + R_SERVER_ID] = s0;
    n[i + R_SERVER_ID + 1] = s1;
    n[i + R_SERVER_FLAGS] = flags;
    n[i + R_PARTS] = parts;
    this.at = i + R_HEADER;
    this.count += parts;
  }

  /**
   * One span of the record begun last, named by `first` and `second` (`joinedName`, looked up by its parts). `start`
   * and `end` are epoch ms; a client span's `end` is its length (P_START says why). `parent`:
   * PARENT_NONE, PARENT_SERVER, or PARENT_REMOTE with the remote span's id words and flags.
   */
  part(
    kind: number,
    first: string,
    second: string,
    s0: number,
    s1: number,
    flags: number,
    traceState: string | undefined,
    parent: number,
    p0: number,
    p1: number,
    parentFlags: number,
    start: number,
    end: number,
    status: number,
    message: string | undefined,
  ): void {
    this.room(P_FIELDS);
    const n = this.numbers;
    const i = this.at;
    this.head = i;
    n[i + P_KIND] = kind;
    n[i + P_NAME] = this.table.internJoined(first, second);
    n[i + P_ID] = s0;
    n[i + P_ID + 1] = s1;
    n[i + P_FLAGS] = flags;
    n[i + P_STATE] = traceState ? this.unique(traceState) : NONE;
    n[i + P_PARENT] = parent;
    n[i + P_PARENT_ID] = p0;
    n[i + P_PARENT_ID + 1] = p1;
    n[i + P_PARENT_FLAGS] = parentFlags;
    n[i + P_START] = start;
    n[i + P_END] = end;
    n[i + P_STATUS] = status;
    n[i + P_MESSAGE] = message ? this.shared(message) : NONE;
    this.at = i + P_FIELDS;
    this.attributes = 0;
  }

  /** Closes the part begun last (its attribute pairs follow it). */
  endPart(): void {
    this.numbers[this.head + P_ATTRIBUTES] = this.attributes;
  }
}
