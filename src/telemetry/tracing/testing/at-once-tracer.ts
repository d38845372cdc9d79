import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import type { AuditRecord } from "../../../audit/audit-record.ts";
import { BatchTracer } from "../batch-tracer.ts";
import { alwaysOn } from "../built-in-samplers.ts";
import { hexIdGenerator } from "../id-generator.ts";
import type { SpanBatchWriter } from "../span-batch.ts";

/**
 * The gateway's BatchTracer writing into `writer`, each request's record at once (as at the end
 * of a turn that ended that request alone), every trace kept (`alwaysOn`, attempts following
 * their server span): what a test of the batch's contents needs, without a span processor.
 */
export function atOnceTracer(
  writer: SpanBatchWriter,
  valueLengthLimit = Number.POSITIVE_INFINITY,
): BatchTracer {
  return new BatchTracer({
    sdk: new TracerProvider().getTracer("unused"),
    sampler: alwaysOn(),
    ids: hexIdGenerator,
    resource: resourceFromAttributes({ "service.name": "mindgw" }),
    scope: { name: "mindgw", version: "1.0.0", schemaUrl: undefined },
    valueLengthLimit,
    processor: { writer, batchFor: () => writer, written() {}, later: (spans) => spans.write() },
    childrenFollowParent: true,
  });
}

/** Request `i`'s finished record, served on `route` by `upstreamModel`: what a test's spans end with. */
export const servedRecord = (i: number, route: string, upstreamModel: string): AuditRecord =>
  ({
    status: 200,
    upstreamModel,
    inputTokens: i,
    outputTokens: 2 * i,
    route,
    keyName: "k",
    tenant: null,
    ttfbMs: 3,
    costUsd: i / 7,
    errorClass: null,
  }) as AuditRecord;
