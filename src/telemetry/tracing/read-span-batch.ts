import {
  type Attributes,
  type AttributeValue,
  createTraceState,
  type Link,
  type SpanContext,
} from "@opentelemetry/api";
import { hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { FRESH_ID_PREFIX } from "../../core/fresh-id-word.ts";
import { ownText } from "./own-strings.ts";
import {
  BOOLEAN,
  BYTES,
  type Extras,
  FIELDS,
  GROUP,
  NONE,
  NUMBER,
  PARENT_ID,
  type PlainContext,
  SPAN_ID,
  type SpanBatch,
  STRING,
  TEXT,
  TRACE_ID,
  TRACE_REQUEST_ID,
  TYPES,
} from "./span-batch-layout.ts";

/** The hex id back from its words. */
function readWords(n: Float64Array, at: number, words: number): string {
  let hex = "";
  for (let w = 0; w < words; w++) hex += (n[at + w] as number).toString(16).padStart(8, "0");
  return hex;
}

const spanContext = (plain: PlainContext): SpanContext => ({
  traceId: plain.traceId,
  spanId: plain.spanId,
  traceFlags: plain.traceFlags,
  ...(plain.isRemote !== undefined ? { isRemote: plain.isRemote } : {}),
  ...(plain.traceState ? { traceState: createTraceState(plain.traceState) } : {}),
});

/** The attribute `slot` (key × TYPES + type) and `value` name, into `attributes`. */
function readAttribute(
  attributes: Attributes,
  table: readonly string[],
  strings: Uint8Array,
  slot: number,
  value: number,
): void {
  const type = slot % TYPES;
  const key = table[(slot - type) / TYPES] ?? "";
  attributes[key] =
    type === STRING
      ? (table[value] ?? "")
      : type === TEXT
        ? ownText(strings, value)
        : type === NUMBER
          ? value
          : type === BOOLEAN
            ? value === 1
            : type === BYTES
              ? (Uint8Array.from(
                  JSON.parse(ownText(strings, value)) as number[],
                ) as unknown as AttributeValue)
              : (JSON.parse(ownText(strings, value)) as AttributeValue);
}

/**
 * The export thread's side: a batch back into what an exporter reads. `table` is the string
 * table as of this batch (string-table.ts); `resource` and `scope` resolve the numbers the batch
 * names them by (the thread keeps those it was sent).
 */
export function readSpanBatch(
  batch: Pick<SpanBatch, "strings" | "numbers">,
  table: readonly string[],
  resource: (id: number) => Resource,
  scope: (id: number) => InstrumentationScope,
): ReadableSpan[] {
  const strings = batch.strings;
  const n = batch.numbers;
  const shared = (i: number) => table[n[i] as number] ?? "";
  const own = (i: number) => ownText(strings, n[i] as number);
  const spans: ReadableSpan[] = [];
  let i = 0;
  while (i < n.length) {
    const traceId = readWords(n, i + TRACE_ID, 4);
    const context: SpanContext = {
      traceId,
      spanId: readWords(n, i + SPAN_ID, 2),
      traceFlags: n[i + 4] as number,
    };
    if (n[i + 5] !== NONE) context.traceState = createTraceState(own(i + 5));
    const parentSpanContext: SpanContext | undefined =
      n[i + 6] === NONE
        ? undefined
        : {
            traceId,
            spanId: readWords(n, i + PARENT_ID, 2),
            traceFlags: n[i + 7] as number,
            isRemote: n[i + 8] === 1,
          };
    const startTime: [number, number] = [n[i + 9] as number, n[i + 10] as number];
    const endTime: [number, number] = [n[i + 11] as number, n[i + 12] as number];
    const statusCode = n[i + 13] as number;
    const extras: Extras = n[i + 20] === NONE ? {} : (JSON.parse(own(i + 20)) as Extras);
    const attributes: Attributes = {};
    const count = n[i + FIELDS] as number;
    let at = i + FIELDS + 1;
    for (let a = 0; a < count; a++, at += 2) {
      const slot = n[at] as number;
      const value = n[at + 1] as number;
      const type = slot % TYPES;
      if (type === TRACE_REQUEST_ID)
        attributes[table[(slot - type) / TYPES] ?? ""] = FRESH_ID_PREFIX + traceId;
      else if (type !== GROUP) readAttribute(attributes, table, strings, slot, value);
      else {
        // A group's pairs stand where it does (span-batch-layout.ts, `GROUP`).
        const pairs = JSON.parse(table[value] ?? "[]") as number[];
        for (let k = 0; k + 1 < pairs.length; k += 2)
          readAttribute(attributes, table, strings, pairs[k] as number, pairs[k + 1] as number);
      }
    }
    spans.push({
      name: shared(i),
      kind: n[i + 1] as number,
      spanContext: () => context,
      parentSpanContext,
      startTime,
      endTime,
      status: n[i + 14] === NONE ? { code: statusCode } : { code: statusCode, message: shared(i + 14) },
      attributes,
      links: (extras.links ?? []).map(
        (link): Link => ({
          context: spanContext(link.context),
          ...(link.attributes ? { attributes: link.attributes } : {}),
          ...(link.droppedAttributesCount !== undefined
            ? { droppedAttributesCount: link.droppedAttributesCount }
            : {}),
        }),
      ),
      events: extras.events ? [...extras.events] : [],
      duration: hrTimeDuration(startTime, endTime),
      ended: true,
      resource: resource(n[i + 18] as number),
      instrumentationScope: scope(n[i + 19] as number),
      droppedAttributesCount: n[i + 15] as number,
      droppedEventsCount: n[i + 16] as number,
      droppedLinksCount: n[i + 17] as number,
    });
    i = at;
  }
  return spans;
}
