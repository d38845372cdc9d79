import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import { SpanWriter } from "./otlp-span-writer.ts";
import { type ProtoWriter, putVarint, varintSize } from "./proto-writer.ts";
import { FIELDS, NONE, type SpanBatch } from "./span-batch-layout.ts";

/**
 * OTLP/protobuf `ExportTraceServiceRequest` bytes straight from a span batch (span-batch.ts),
 * for the export thread. The OpenTelemetry exporter's own serialiser takes 3.7–4.9 µs a span
 * under Bun (two passes over SDK span objects; `bun bench/trace-floor.ts`), 7–10 µs a traced
 * request, more than the whole 5 % that tracing at sample ratio 1.0 may cost a request
 * (docs/BENCHMARKS-HISTORY.md); this writes the same bytes in one pass over flat numbers. Only what mindgw's spans carry is written here:
 * strings, numbers and booleans as attributes, no events, links or trace state. A batch with
 * anything else returns undefined and goes through the library's serialiser instead. A test
 * holds the bytes equal to the library's for the same spans.
 *
 * `into`: a buffer the bytes may be written into (the export thread reuses one per export in
 * flight, `EncodeBuffers`); the result is a view of it, or of a larger one when it was short.
 */
export function encodeSpanBatch(
  batch: Pick<SpanBatch, "strings" | "numbers">,
  table: readonly string[],
  resourceOf: (id: number) => Resource,
  scopeOf: (id: number) => InstrumentationScope,
  into?: Uint8Array,
): Uint8Array | undefined {
  const n = batch.numbers;
  const size = n.length * 8 + batch.strings.length * 2 + 1024;
  const buffer = into && into.length >= size ? into : new Uint8Array(size);
  const strings = JSON.parse(batch.strings) as string[];
  if (n.length === 0) return buffer.subarray(0, 0);
  // The usual batch (one resource, one scope) in one pass over the numbers; another is regrouped.
  const one = oneGroup(
    new SpanWriter(buffer, table, strings),
    resourceOf(n[18] as number),
    scopeOf(n[19] as number),
    n,
  );
  if (one !== MIXED) return one;
  // Spans grouped by resource, then by scope, in order of first appearance (as the library).
  const groups = new Map<number, Map<number, number[]>>();
  let lastResource = Number.NaN;
  let lastScope = Number.NaN;
  let last: number[] = [];
  for (let i = 0; i < n.length; ) {
    if (n[i + 5] !== NONE || n[i + 20] !== NONE) return undefined;
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
  const w = new SpanWriter(buffer, table, strings);
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
      for (const at of spans) if (!w.span(n, at)) return undefined;
      schemaUrl(w, scope.schemaUrl);
      w.close(scopeSpans);
    }
    schemaUrl(w, resource.schemaUrl);
    w.close(resourceSpans);
  }
  return w.buffer.subarray(0, w.pos);
}

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
  // The two header fields, written where the spans will go and copied out.
  resourceHeader(w, resource);
  const resourceLength = w.pos;
  scopeHeader(w, scope);
  const headers = w.buffer.slice(0, w.pos);
  const scopeLength = headers.length - resourceLength;
  // Room in front for both headers and two tags with 5-byte lengths.
  const start = headers.length + 12;
  w.pos = start;
  const resourceId = n[18];
  const scopeId = n[19];
  for (let i = 0; i < n.length; ) {
    if (n[i + 18] !== resourceId || n[i + 19] !== scopeId) return MIXED;
    if (n[i + 5] !== NONE || n[i + 20] !== NONE || !w.span(n, i)) return undefined;
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
