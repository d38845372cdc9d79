import { decodeTraceRequest } from "./otlp-protobuf.ts";

/** An attribute's value; an array (`process.command_args`, say) as its values. */
export type ReceivedValue = string | number | boolean | readonly ReceivedValue[];

/** One span as an OTLP/HTTP JSON export carries it, with its resource's service name. */
export interface ReceivedSpan {
  readonly service: string;
  /** Every attribute of the span's resource. */
  readonly resource: Readonly<Record<string, ReceivedValue>>;
  /** Its instrumentation scope's name. */
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  /** The span's W3C trace state, "" when it has none. */
  readonly traceState: string;
  readonly name: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  readonly kind: number;
  /** 2 when the span's status is ERROR. */
  readonly statusCode: number;
  readonly attributes: Readonly<Record<string, ReceivedValue>>;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  /** Exports received as OTLP/protobuf. */
  readonly protobufExports: number;
  /** Answers every export with `status` (its spans not kept) from now on; undefined, accepts them again. */
  refuseWith(status: number | undefined): void;
  stop(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };
export interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        traceState?: string;
        name: string;
        kind: number;
        attributes?: KeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

const anyValue = (v: AnyValue): ReceivedValue =>
  v.arrayValue
    ? (v.arrayValue.values ?? []).map(anyValue)
    : (v.stringValue ??
      (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue ?? "")));

const attributesOf = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));

/** Adds the spans of one export request (OTLP JSON, or protobuf decoded as such) to `spans`. */
export function keepSpans(body: ExportRequest, spans: ReceivedSpan[]): void {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = String(resource["service.name"] ?? "");
    for (const scope of resourceSpans.scopeSpans ?? [])
      for (const span of scope.spans ?? [])
        spans.push({
          service,
          resource,
          scope: scope.scope?.name ?? "",
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          traceState: span.traceState ?? "",
          name: span.name,
          kind: span.kind,
          statusCode: span.status?.code ?? 0,
          attributes: attributesOf(span.attributes),
        });
  }
}

/**
 * A local OTLP/HTTP receiver on 127.0.0.1 that keeps every span it is sent, in either encoding
 * (JSON, or protobuf when the request says `application/x-protobuf`); `protobufExports` counts
 * the latter.
 */
export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = [];
  const protobufExports = { count: 0 };
  let refusing: number | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
      if (refusing !== undefined) return new Response("refused", { status: refusing });
      const protobuf = request.headers.get("content-type") === "application/x-protobuf";
      if (protobuf) protobufExports.count++;
      const body = protobuf
        ? (decodeTraceRequest(new Uint8Array(await request.arrayBuffer())) as ExportRequest)
        : ((await request.json()) as ExportRequest);
      keepSpans(body, spans);
      return Response.json({});
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    get protobufExports() {
      return protobufExports.count;
    },
    refuseWith(status) {
      refusing = status;
    },
    stop: () => server.stop(true),
  };
}
