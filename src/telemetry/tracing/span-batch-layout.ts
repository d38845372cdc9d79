import type { Attributes } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { TimedEvent } from "@opentelemetry/sdk-trace";
import type { MemoryMessage } from "./posted-memory.ts";
import type { TableUpdate } from "./string-table.ts";

/**
 * Ended spans on their way to the export thread, as flat numbers in a Float64Array (shared
 * memory, posted without a copy) and the strings they point at. Each span is written the moment
 * it ends, so the SDK's span object is garbage at once instead of waiting in a queue for its
 * batch, and no per-span object or tuple is built on the event loop. The thread reads it back
 * (read-span-batch.ts) into ReadableSpans, or writes OTLP straight from it (otlp-proto-batch.ts).
 * Strings that repeat (names, attribute keys, models, routes, short values) are indices into a
 * string table kept across batches and mirrored by the thread (string-table.ts); a batch sends
 * only the table's new strings. Strings of one span (long values: request ids, content; trace
 * states, events and links) are the batch's own, in `strings` (own-strings.ts: UTF-8 in shared
 * memory too, each named by the byte offset where it starts).
 *
 * Per span: the fixed fields below, then `attributes` pairs of (key string × 8 + value type,
 * value). Events and links (mindgw makes none) travel as one JSON string. The trace, span and
 * parent span ids travel as 32-bit words (slots 21–28; slots 2 and 3 are unused, slot 6 says
 * whether there is a parent), not strings: they were most of the string table, parsed and
 * hex-decoded again on the export thread.
 */
export const FIELDS = 29;
export const NONE = -1;
export const TRACE_ID = 21;
export const SPAN_ID = 25;
export const PARENT_ID = 27;

/**
 * Attribute value types: a string-table index, a number, a boolean, bytes (as a JSON array in
 * one of the batch's own strings), anything else (null, arrays, maps) as JSON, a string of the
 * batch's own (`TEXT`); the last three name an own string by its offset; a group of attributes
 * (`GROUP`); a request id made of the trace id (`TRACE_REQUEST_ID`). Keys are always string-table
 * indices.
 */
export const STRING = 0;
export const NUMBER = 1;
export const BOOLEAN = 2;
export const BYTES = 3;
export const JSON_VALUE = 4;
export const TEXT = 5;
/**
 * Not one attribute but a group of them (attribute-groups.ts): the value is the string-table
 * index of the group's pairs, written as a JSON array of numbers (slot, value, slot, value, …;
 * their strings in the same table), which stand where the group does, in order. The key part of
 * its slot is 0. Only STRING, NUMBER and BOOLEAN pairs are grouped.
 */
export const GROUP = 6;
/**
 * The gateway's own request id when it is the span's trace id (batch-request-trace.ts):
 * `FRESH_ID_PREFIX` and the trace id's 32 hex digits, made where the batch is read, so the
 * event loop copies none of its characters. The value is 0.
 */
export const TRACE_REQUEST_ID = 7;
export const TYPES = 8;
/** String values this long or longer are the batch's own, not looked up in the table (`attribute`). */
export const UNIQUE_LENGTH = 32;

/**
 * A request's spans as one record (batch-request-trace.ts), written when the request ends and
 * made into span records above by the export thread (request-records.ts): the trace id, the
 * resource and scope once, then a part per span (its attempts' client spans in the order they
 * closed, then the server span), each with its own ids, times, status and attribute pairs. The
 * event loop runs one short writer a request instead of opening and closing each span; every
 * slot a span record repeats (trace id, parent, resource, scope, unused fields) and the times'
 * arithmetic are filled in on the thread, in a hot loop over the batch.
 *
 * Header: slot 0 is `REQUEST` (a span record's slot 0 is its name, never negative), then these.
 */
export const REQUEST = -2;
export const R_RESOURCE = 1;
export const R_SCOPE = 2;
/** Four words. */
export const R_TRACE_ID = 3;
/** The server span's id (two words) and flags: every attempt's parent. */
export const R_SERVER_ID = 7;
export const R_SERVER_FLAGS = 9;
/** How many parts follow. */
export const R_PARTS = 10;
export const R_HEADER = 11;
/** A part: the span's kind (SERVER or CLIENT), name (string table), id (two words), flags, trace state (`strings`). */
export const P_KIND = 0;
export const P_NAME = 1;
export const P_ID = 2;
export const P_FLAGS = 4;
export const P_STATE = 5;
/** `P_PARENT`: none, the request's server span, or a remote span (`P_PARENT_ID`, `P_PARENT_FLAGS`). */
export const P_PARENT = 6;
export const PARENT_NONE = 0;
export const PARENT_SERVER = 1;
export const PARENT_REMOTE = 2;
export const P_PARENT_ID = 7;
export const P_PARENT_FLAGS = 9;
/**
 * Epoch milliseconds: a server span's start and end; a client span's start and its length (the
 * SDK's timing of a span not given its start: wall clock at the start plus monotonic time).
 */
export const P_START = 10;
export const P_END = 11;
/** Status code and message (string table, or NONE). */
export const P_STATUS = 12;
export const P_MESSAGE = 13;
/** Attribute pairs that follow, as a span record's. */
export const P_ATTRIBUTES = 14;
export const P_FIELDS = 15;

/** A resource as plain data; sent once, then named by its number. */
export interface ResourceData {
  readonly id: number;
  readonly attributes: Attributes;
  readonly schemaUrl: string | undefined;
}

export interface ScopeData {
  readonly id: number;
  readonly scope: InstrumentationScope;
}

/**
 * One batch as the main thread posts it (`numbers` is a view of shared memory). Slots 0 (name)
 * and 14 (status message), attribute keys and `STRING` values index the string table; slots 5
 * (trace state) and 20 (events and links), `TEXT`, `BYTES` and `JSON_VALUE` values are offsets
 * into `strings`.
 */
export interface SpanBatch {
  readonly spans: number;
  readonly resources: readonly ResourceData[];
  readonly scopes: readonly ScopeData[];
  /** What the thread's copy of the string table needs to read this batch. */
  readonly table: TableUpdate;
  /** The batch's own strings (own-strings.ts), a view of shared memory from its start. */
  readonly strings: Uint8Array;
  readonly numbers: Float64Array;
}

/** The shared memory of a batch, given back to its writer once the thread is done with it. */
export type BatchMemory = Pick<SpanBatch, "numbers" | "strings">;

/** Main thread → export thread: a batch's numbers and strings go as posted-memory.ts says. */
export type ExportThreadRequest =
  | ({ readonly op: "export"; readonly id: number } & Omit<SpanBatch, "numbers" | "strings"> & {
        readonly numbers: MemoryMessage;
        readonly strings: MemoryMessage;
      })
  | { readonly op: "flush" | "shutdown"; readonly id: number }
  /** The batch ring (span-batch-ring.ts), sent once as the thread starts. */
  | { readonly op: "ring"; readonly id: number; readonly memory: SharedArrayBuffer };

/** Export thread → main thread: one reply per request, by id. */
export interface ExportThreadReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface Extras {
  links?: readonly PlainLink[];
  events?: readonly TimedEvent[];
}

interface PlainLink {
  readonly context: PlainContext;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

export interface PlainContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean | undefined;
  readonly traceState?: string | undefined;
}
