import {
  type Attributes,
  type AttributeValue,
  createTraceState,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
} from "@opentelemetry/api";
import { hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

/**
 * An ended span as plain data for the export thread: what the OTLP exporters read of a
 * ReadableSpan, as one flat tuple, since the event loop pays for every character of a batch
 * twice (JSON.stringify, then postMessage). Attribute keys are numbers into the batch's key
 * table; the parent shares the span's trace id; the resource and scope are numbers too, sent
 * once. Links and events (mindgw makes none) travel as they are.
 */
export type SpanData = [
  name: string,
  kind: SpanKind,
  traceId: string,
  spanId: string,
  traceFlags: number,
  traceState: string | 0,
  parentSpanId: string | 0,
  parentTraceFlags: number,
  parentIsRemote: 0 | 1,
  startTime: HrTime,
  endTime: HrTime,
  statusCode: number,
  statusMessage: string | 0,
  /** Key number, value, key number, value, … */
  attributes: (number | AttributeValue)[],
  links: readonly PlainLink[] | 0,
  events: readonly TimedEvent[] | 0,
  droppedAttributesCount: number,
  droppedEventsCount: number,
  droppedLinksCount: number,
  resource: number,
  scope: number,
];

interface PlainLink {
  readonly context: PlainContext;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

interface PlainContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean | undefined;
  readonly traceState?: string | undefined;
}

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

/** Main thread → export thread. */
export type ExportThreadRequest =
  | {
      readonly op: "export";
      readonly id: number;
      readonly resources: readonly ResourceData[];
      readonly scopes: readonly ScopeData[];
      /** The attribute keys the spans' key numbers stand for. */
      readonly keys: readonly string[];
      readonly spans: readonly SpanData[];
    }
  | { readonly op: "flush" | "shutdown"; readonly id: number };

/** Export thread → main thread: one reply per request, by id. */
export interface ExportThreadReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
}

const plainContext = (context: SpanContext): PlainContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  isRemote: context.isRemote,
  traceState: context.traceState?.serialize(),
});

/** Numbers for the resources and scopes of a process's spans, and which ones are new. */
export class SpanDataEncoder {
  private readonly resources = new WeakMap<Resource, number>();
  private readonly scopes = new Map<string, number>();
  private next = 0;

  encode(spans: readonly ReadableSpan[]): Omit<Extract<ExportThreadRequest, { op: "export" }>, "op" | "id"> {
    const resources: ResourceData[] = [];
    const scopes: ScopeData[] = [];
    const keys: string[] = [];
    const keyNumbers = new Map<string, number>();
    const data = spans.map((span): SpanData => {
      let resource = this.resources.get(span.resource);
      if (resource === undefined) {
        resource = ++this.next;
        this.resources.set(span.resource, resource);
        resources.push({
          id: resource,
          attributes: span.resource.attributes,
          schemaUrl: span.resource.schemaUrl,
        });
      }
      const s = span.instrumentationScope;
      const scopeKey = `${s.name}@${s.version ?? ""}:${s.schemaUrl ?? ""}`;
      let scope = this.scopes.get(scopeKey);
      if (scope === undefined) {
        scope = ++this.next;
        this.scopes.set(scopeKey, scope);
        scopes.push({ id: scope, scope: { name: s.name, version: s.version, schemaUrl: s.schemaUrl } });
      }
      const attributes: (number | AttributeValue)[] = [];
      for (const key in span.attributes) {
        const value = span.attributes[key];
        if (value === undefined) continue;
        let n = keyNumbers.get(key);
        if (n === undefined) {
          n = keys.push(key) - 1;
          keyNumbers.set(key, n);
        }
        attributes.push(n, value);
      }
      const context = span.spanContext();
      const parent = span.parentSpanContext;
      return [
        span.name,
        span.kind,
        context.traceId,
        context.spanId,
        context.traceFlags,
        context.traceState?.serialize() || 0,
        parent?.spanId || 0,
        parent?.traceFlags ?? 0,
        parent?.isRemote ? 1 : 0,
        span.startTime,
        span.endTime,
        span.status.code,
        span.status.message || 0,
        attributes,
        span.links.length === 0
          ? 0
          : span.links.map((link) => ({
              context: plainContext(link.context),
              ...(link.attributes ? { attributes: link.attributes } : {}),
              ...(link.droppedAttributesCount !== undefined
                ? { droppedAttributesCount: link.droppedAttributesCount }
                : {}),
            })),
        span.events.length === 0 ? 0 : span.events,
        span.droppedAttributesCount,
        span.droppedEventsCount,
        span.droppedLinksCount,
        resource,
        scope,
      ];
    });
    return { resources, scopes, keys, spans: data };
  }
}

const spanContext = (plain: PlainContext): SpanContext => ({
  traceId: plain.traceId,
  spanId: plain.spanId,
  traceFlags: plain.traceFlags,
  ...(plain.isRemote !== undefined ? { isRemote: plain.isRemote } : {}),
  ...(plain.traceState ? { traceState: createTraceState(plain.traceState) } : {}),
});

/** The export thread's side: plain data back into what an exporter reads. */
export function readableSpan(
  data: SpanData,
  keys: readonly string[],
  resource: Resource,
  instrumentationScope: InstrumentationScope,
): ReadableSpan {
  const [
    name,
    kind,
    traceId,
    spanId,
    traceFlags,
    traceState,
    parentSpanId,
    parentTraceFlags,
    parentIsRemote,
  ] = data;
  const [startTime, endTime, statusCode, statusMessage, flat, links, events] = data.slice(9) as [
    HrTime,
    HrTime,
    number,
    string | 0,
    (number | AttributeValue)[],
    readonly PlainLink[] | 0,
    readonly TimedEvent[] | 0,
  ];
  const [droppedAttributesCount, droppedEventsCount, droppedLinksCount] = data.slice(16) as number[];
  const context = spanContext({ traceId, spanId, traceFlags, traceState: traceState || undefined });
  const attributes: Attributes = {};
  for (let i = 0; i + 1 < flat.length; i += 2)
    attributes[keys[flat[i] as number] ?? ""] = flat[i + 1] as AttributeValue;
  return {
    name,
    kind,
    spanContext: () => context,
    parentSpanContext: parentSpanId
      ? spanContext({
          traceId,
          spanId: parentSpanId,
          traceFlags: parentTraceFlags,
          isRemote: parentIsRemote === 1,
        })
      : undefined,
    startTime,
    endTime,
    status: statusMessage ? { code: statusCode, message: statusMessage } : { code: statusCode },
    attributes,
    links: links
      ? links.map(
          (link): Link => ({
            context: spanContext(link.context),
            ...(link.attributes ? { attributes: link.attributes } : {}),
            ...(link.droppedAttributesCount !== undefined
              ? { droppedAttributesCount: link.droppedAttributesCount }
              : {}),
          }),
        )
      : [],
    events: events ? [...events] : [],
    duration: hrTimeDuration(startTime, endTime),
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: droppedAttributesCount ?? 0,
    droppedEventsCount: droppedEventsCount ?? 0,
    droppedLinksCount: droppedLinksCount ?? 0,
  };
}
