import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import { HEAD_ROOM } from "./encode-buffers.ts";
import { SpanWriter } from "./otlp-span-writer.ts";
import { type ProtoWriter, putVarint, varintSize } from "./proto-writer.ts";
import { SpanRecords, spanFields } from "./request-records.ts";
import {
  FIELDS,
  NONE,
  P_FIELDS,
  R_HEADER,
  R_PARTS,
  R_RESOURCE,
  R_SCOPE,
  REQUEST,
  type SpanBatch,
} from "./span-batch-layout.ts";

/**
 * OTLP/protobuf `ExportTraceServiceRequest` bytes straight from a span batch (span-batch.ts),
 * for the export thread. The OpenTelemetry exporter's own serialiser takes 3.7–4.9 µs a span
 * under Bun (two passes over SDK span objects; `bun bench/trace-floor.ts`), 7–10 µs a traced
 * request, more than the whole 5 % that tracing at sample ratio 1.0 may cost a request
 * (docs/BENCHMARKS-HISTORY.md); this writes the same bytes in one pass over flat numbers. Only what mindgw's spans carry is written here:
 * strings, numbers and booleans as attributes, trace states, no events or links. A batch with
 * anything else returns undefined and goes through the library's serialiser instead. A test
 * holds the bytes equal to the library's for the same spans.
 *
 * The batch may hold request records (span-batch-layout.ts, `REQUEST`) as the main thread wrote
 * them: each part is written as the span record it stands for, its fixed fields made in a
 * scratch record and its attribute pairs read where they are, so the usual batch is not first
 * copied whole into span records (request-records.ts) only to be read once.
 *
 * `into`: a buffer the bytes may be written into (the export thread reuses one per export in
 * flight, `EncodeBuffers`); the result is a view of it, or of a larger one when it was short
 * (made with `HEAD_ROOM` bytes in front, as `EncodeBuffers` gives them).
 */
export function encodeSpanBatch(
  batch: Pick<SpanBatch, "strings" | "numbers">,
  table: readonly string[],
  resourceOf: (id: number) => Resource,
  scopeOf: (id: number) => InstrumentationScope,
  into?: Uint8Array,
): Uint8Array | undefined {
  const n = batch.numbers;
  // Room for the usual batch, so that a buffer is not grown (copied, twice the memory) while it is
  // written: a traced request's record encodes to 13.0-14.2 bytes a number (its part is 14 slots
  // shorter than the span record it stands for, a group pair stands for several attributes:
  // bench/trace-micro.ts's batches, with and without TRACE_VARY and TRACE_CALLER); own strings
  // are copied as they are.
  const size = n.length * BYTES_A_NUMBER + batch.strings.length + 1024;
  // A buffer of its own has room in front for the request's head, as one given again has.
  const buffer = into && into.length >= size ? into : new Uint8Array(HEAD_ROOM + size).subarray(HEAD_ROOM);
  const strings = batch.strings;
  if (n.length === 0) return buffer.subarray(0, 0);
  // The usual batch (one resource, one scope) in one pass over the numbers; another is regrouped.
  const first = originSlot(n);
  const one = oneGroup(
    new SpanWriter(buffer, table, strings),
    resourceOf(n[first] as number),
    scopeOf(n[first + 1] as number),
    n,
  );
  if (one !== MIXED) return one;
  return grouped(new SpanWriter(buffer, table, strings), mixedRecords.of(n), resourceOf, scopeOf);
}

/** What `encodeSpanBatch` reserves a batch number (above the ~14 a request record's take). */
const BYTES_A_NUMBER = 16;

/** The rare batch of several resources or scopes, made into span records first (reused array). */
const mixedRecords = new SpanRecords();

/** Spans grouped by resource, then by scope, in order of first appearance (as the library). */
function grouped(
  w: SpanWriter,
  n: Float64Array,
  resourceOf: (id: number) => Resource,
  scopeOf: (id: number) => InstrumentationScope,
): Uint8Array | undefined {
  const groups = new Map<number, Map<number, number[]>>();
  let lastResource = Number.NaN;
  let lastScope = Number.NaN;
  let last: number[] = [];
  for (let i = 0; i < n.length; ) {
    if (n[i + 20] !== NONE) return undefined;
    const resource = n[i + 18] as number;
    const scope = n[i + 19] as number;
    // Nearly every span has the last one's resource and scope: no lookup for it.
    if (resource !== lastResource || scope !== lastScope) {
      let scopes = groups.get(resource);
      if (!scopes) {
        scopes = new Map();
        groups.set(resource, scopes);
      }
      let spans = scopes.get(scope);
      if (!spans) {
        spans = [];
        scopes.set(scope, spans);
      }
      lastResource = resource;
      lastScope = scope;
      last = spans;
    }
    last.push(i);
    i = nextSpan(n, i);
  }
  for (const [resourceId, scopes] of groups) {
    const resource = resourceOf(resourceId);
    w.tag(1, 2);
    const resourceSpans = w.open();
    resourceHeader(w, resource);
    for (const [scopeId, spans] of scopes) {
      const scope = scopeOf(scopeId);
      w.tag(2, 2);
      const scopeSpans = w.open();
      scopeHeader(w, scope);
      for (const at of spans) if (!w.span(n, at, n, at + FIELDS + 1)) return undefined;
      schemaUrl(w, scope.schemaUrl);
      w.close(scopeSpans);
    }
    schemaUrl(w, resource.schemaUrl);
    w.close(resourceSpans);
  }
  return w.buffer.subarray(0, w.pos);
}

/** Where the first record names its resource (its scope next): a request record's header, or slot 18. */
const originSlot = (n: Float64Array) => (n[0] === REQUEST ? R_RESOURCE : 18);

/** Where the span after the one at `i` starts: its fixed fields, its count, two slots an attribute. */
const nextSpan = (n: Float64Array, i: number) => i + FIELDS + 1 + 2 * (n[i + FIELDS] as number);

/** ResourceSpans.resource: the resource's attributes, no dropped ones. */
function resourceHeader(w: ProtoWriter, resource: Resource): void {
  w.tag(1, 2);
  const message = w.open();
  w.attributes(resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.close(message);
}

/** ScopeSpans.scope: name, and version when there is one. */
function scopeHeader(w: ProtoWriter, scope: InstrumentationScope): void {
  w.tag(1, 2);
  const message = w.open();
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  w.close(message);
}

function schemaUrl(w: ProtoWriter, url: string | undefined): void {
  if (!url) return;
  w.tag(3, 2);
  w.string(url);
}

/** The two header fields of a batch of one resource and scope, and the resource's share of them. */
interface Headers {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly bytes: Uint8Array;
  readonly resourceLength: number;
}

/**
 * The last batch's headers: a process exports under one resource and scope, so the resource's
 * attributes (a dozen from sdk-node's detectors, written by the general writer) are written once,
 * not once a batch with that code cold. The export thread keeps each resource and scope object
 * for as long as its id stands (export-thread.ts); another object is written again.
 */
let lastHeaders: Headers | undefined;

/** The headers for `resource` and `scope`: the last batch's, or written at `w`'s start (where the spans go after) and copied out. */
function headersOf(w: SpanWriter, resource: Resource, scope: InstrumentationScope): Headers {
  if (lastHeaders?.resource === resource && lastHeaders.scope === scope) return lastHeaders;
  resourceHeader(w, resource);
  const resourceLength = w.pos;
  scopeHeader(w, scope);
  lastHeaders = { resource, scope, bytes: w.buffer.slice(0, w.pos), resourceLength };
  return lastHeaders;
}

/** A request record's part as its span record's fixed fields and count (written per part, reused). */
const part = new Float64Array(FIELDS + 1);

/** `oneGroup`'s answer for a batch of more than one resource or scope: group it first. */
const MIXED = Symbol("mixed");

/**
 * The usual batch (one resource, one scope: the first span's), written in the same pass that
 * checks it — MIXED as soon as a span has another resource or scope. The spans are written
 * after room left for the two headers, which are written once their lengths are known, in
 * front of them — where writing them first meant moving every span's bytes to fit each length.
 */
function oneGroup(
  w: SpanWriter,
  resource: Resource,
  scope: InstrumentationScope,
  n: Float64Array,
): Uint8Array | undefined | typeof MIXED {
  const { bytes: headers, resourceLength } = headersOf(w, resource, scope);
  const scopeLength = headers.length - resourceLength;
  // Room in front for both headers and two tags with 5-byte lengths.
  const start = headers.length + 12;
  w.pos = start;
  const first = originSlot(n);
  const resourceId = n[first];
  const scopeId = n[first + 1];
  for (let i = 0; i < n.length; ) {
    if (n[i] === REQUEST) {
      if (n[i + R_RESOURCE] !== resourceId || n[i + R_SCOPE] !== scopeId) return MIXED;
      const parts = n[i + R_PARTS] as number;
      let p = i + R_HEADER;
      for (let k = 0; k < parts; k++) {
        const count = spanFields(n, i, p, part, 0);
        if (!w.span(part, 0, n, p + P_FIELDS)) return undefined;
        p += P_FIELDS + 2 * count;
      }
      i = p;
      continue;
    }
    if (n[i + 18] !== resourceId || n[i + 19] !== scopeId) return MIXED;
    if (n[i + 20] !== NONE || !w.span(n, i, n, i + FIELDS + 1)) return undefined;
    i = nextSpan(n, i);
  }
  schemaUrl(w, scope.schemaUrl);
  const scopeSpans = scopeLength + w.pos - start;
  const scopeEnd = w.pos;
  schemaUrl(w, resource.schemaUrl);
  const resourceSpans = resourceLength + 1 + varintSize(scopeSpans) + scopeSpans + (w.pos - scopeEnd);
  const b = w.buffer;
  const from =
    start - (1 + varintSize(resourceSpans) + resourceLength + 1 + varintSize(scopeSpans) + scopeLength);
  let pos = from;
  b[pos++] = 0x0a; // ExportTraceServiceRequest.resource_spans
  pos = putVarint(b, pos, resourceSpans);
  b.set(headers.subarray(0, resourceLength), pos);
  pos += resourceLength;
  b[pos++] = 0x12; // ResourceSpans.scope_spans
  pos = putVarint(b, pos, scopeSpans);
  b.set(headers.subarray(resourceLength), pos);
  return b.subarray(from, w.pos);
}
