import {
  type Attributes,
  createTraceState,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
} from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

/**
 * An ended span as plain data, for the export thread: what the OTLP exporters read of a
 * ReadableSpan, nothing the structured clone cannot carry (no methods, no TraceState object,
 * the resource and scope by number since every span of a process shares them).
 */
export interface SpanData {
  readonly name: string;
  readonly kind: SpanKind;
  readonly context: PlainContext;
  readonly parent: PlainContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: readonly {
    context: PlainContext;
    attributes?: Attributes;
    droppedAttributesCount?: number;
  }[];
  readonly events: readonly TimedEvent[];
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  readonly resource: number;
  readonly scope: number;
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
      return {
        name: span.name,
        kind: span.kind,
        context: plainContext(span.spanContext()),
        parent: span.parentSpanContext ? plainContext(span.parentSpanContext) : undefined,
        startTime: span.startTime,
        endTime: span.endTime,
        duration: span.duration,
        status: span.status,
        attributes: span.attributes,
        links: span.links.map((link) => ({
          context: plainContext(link.context),
          ...(link.attributes ? { attributes: link.attributes } : {}),
          ...(link.droppedAttributesCount !== undefined
            ? { droppedAttributesCount: link.droppedAttributesCount }
            : {}),
        })),
        events: span.events,
        droppedAttributesCount: span.droppedAttributesCount,
        droppedEventsCount: span.droppedEventsCount,
        droppedLinksCount: span.droppedLinksCount,
        resource,
        scope,
      };
    });
    return { resources, scopes, spans: data };
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
  resource: Resource,
  instrumentationScope: InstrumentationScope,
): ReadableSpan {
  const context = spanContext(data.context);
  const links: Link[] = data.links.map((link) => ({
    context: spanContext(link.context),
    ...(link.attributes ? { attributes: link.attributes } : {}),
    ...(link.droppedAttributesCount !== undefined
      ? { droppedAttributesCount: link.droppedAttributesCount }
      : {}),
  }));
  return {
    name: data.name,
    kind: data.kind,
    spanContext: () => context,
    parentSpanContext: data.parent ? spanContext(data.parent) : undefined,
    startTime: data.startTime,
    endTime: data.endTime,
    status: data.status,
    attributes: data.attributes,
    links,
    events: [...data.events],
    duration: data.duration,
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: data.droppedAttributesCount,
    droppedEventsCount: data.droppedEventsCount,
    droppedLinksCount: data.droppedLinksCount,
  };
}
