import {
  type ContextManager,
  createContextKey,
  ROOT_CONTEXT,
  SamplingDecision,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { ReadableSpan, Sampler } from "@opentelemetry/sdk-trace";
import { messageOf } from "../../core/describe-error.ts";
import { urlLabel } from "../../core/url-label.ts";
import type { Logger } from "../../log/logger.ts";
import { BatchTracer } from "./batch-tracer.ts";
import { hexIdGenerator } from "./id-generator.ts";
import { otlpProtocol } from "./otlp-protocol.ts";
import { MOST_ATTRIBUTES } from "./span-attributes.ts";
import { knowLosses, type SpanLosses, spanLossLog } from "./span-loss-log.ts";
import { loadTraceState } from "./trace-context.ts";

/** A running trace pipeline: the tracer to start spans with, and how to flush it at exit. */
export interface Tracing {
  readonly tracer: Tracer;
  /** `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`: prompts and answers on spans. */
  readonly captureContent: boolean;
  /**
   * Flushes what is buffered and stops. `withinMs`: the longest to wait for the collector (a stop's
   * remainder of `server.drain_timeout`); past it the spans still on their way are given up, said
   * at warn, where the exporter's own OTEL_EXPORTER_OTLP_TIMEOUT (10 s, each retry) would hold the
   * process. Absent: as long as the exporter takes.
   */
  shutdown(withinMs?: number): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Tracing is on only when the standard environment asks for an exporter: an OTLP endpoint, or
 * `OTEL_TRACES_EXPORTER` naming one. Unset, nothing is loaded or started, and every call site
 * sees no tracer (the hot path pays one `undefined` check).
 */
export function tracingRequested(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === "none") return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * No ambient context: mindgw hands each span its parent explicitly (server span → attempt span →
 * the `traceparent` sent on), so the SDK's default AsyncLocalStorage context manager would only
 * add a cost to every await of every request.
 */
const explicitContextOnly: ContextManager = {
  active: () => ROOT_CONTEXT,
  with: (_context, fn, thisArg, ...args) => fn.apply(thisArg, args),
  bind: (_context, target) => target,
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

/** `OTEL_BSP_*` as sdk-node reads them: a non-negative number, else the processor's default. */
function bspNumber(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * For the OTLP exporter over HTTP (the default; `OTEL_TRACES_EXPORTER` unset or `otlp`): a span
 * processor that batches as the SDK's batch span processor does with the `OTEL_BSP_*` settings
 * (batch size, schedule delay, queue size; the batch never exceeds the queue) and hands each
 * batch to a thread running the real OTLP exporter (thread-span-processor.ts). Any other
 * exporter list (`console`, `zipkin`, several) is left to sdk-node as it is.
 */
async function threadedSpanProcessor(losses: SpanLosses, env: Env, logger: Logger) {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "" && name !== "null");
  const protocol =
    exporters.length === 0 || exporters.includes("otlp")
      ? otlpProtocol(env, (message) => logger.warn(message))
      : undefined;
  if (exporters.some((name) => name !== "otlp")) return undefined;
  // The export thread speaks OTLP/HTTP alone (otlp-batch-exporter.ts: its own protobuf writer and
  // HTTP/1.1 client, or the library's http/json exporter); it has no gRPC transport, and would send
  // a gRPC collector HTTP. gRPC export stays on sdk-node's own path, its exporter in this thread.
  if (protocol === "grpc") return undefined;
  const { ThreadSpanProcessor } = await import("./thread-span-processor.ts");
  const maxQueueSize = bspNumber(env, "OTEL_BSP_MAX_QUEUE_SIZE");
  const batchSize = bspNumber(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
  const maxExportBatchSize = Math.min(batchSize ?? 512, maxQueueSize ?? 2048);
  const scheduledDelayMillis = bspNumber(env, "OTEL_BSP_SCHEDULE_DELAY");
  return new ThreadSpanProcessor({
    env,
    maxExportBatchSize,
    ...(scheduledDelayMillis !== undefined ? { scheduledDelayMillis } : {}),
    // Four times the batch processor's queue (8192 spans by default, a few MB) may be on their
    // way to the collector: room for a second or two of a busy gateway's spans while a slow
    // export is retried, before any is dropped.
    maxPendingSpans: 4 * Math.max(maxQueueSize ?? 2048, maxExportBatchSize),
    onDropped: (spans, reason) => losses.dropped(spans, reason),
    onDelivered: () => losses.delivered(),
  });
}

/**
 * The SDK builds the resource (detectors, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) and
 * keeps it, with the sampler, in private fields. The gateway's own spans skip the SDK's span
 * object (batch-tracer.ts) but must carry the same resource and scope, and obey the same
 * sampler: so mindgw builds the sampler (as sdk-node would from the environment) and hands it
 * to sdk-node wrapped so that one probe span, marked in its context, is recorded whatever the
 * sampler says — recorded, never sampled, so never exported — and that span names the resource
 * and scope every span of this tracer carries.
 */
const PROBE = createContextKey("mindgw resource probe");

function probing(inner: Sampler): Sampler & { readonly inner: Sampler } {
  return {
    inner,
    shouldSample: (context, ...rest) =>
      context.getValue(PROBE) === true
        ? { decision: SamplingDecision.RECORD }
        : inner.shouldSample(context, ...rest),
    toString: () => inner.toString(),
  };
}

function probe(tracer: Tracer): ReadableSpan | undefined {
  const span = tracer.startSpan("mindgw resource probe", {}, ROOT_CONTEXT.setValue(PROBE, true));
  span.end();
  return "resource" in span && "instrumentationScope" in span ? (span as unknown as ReadableSpan) : undefined;
}

/**
 * Starts `@opentelemetry/sdk-node` configured the standard way (`OTEL_EXPORTER_OTLP_*`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, …), traces only:
 * metrics are served by `/metrics` and logs go to stderr, so the SDK's own metric and log
 * pipelines stay off.
 */
export async function startTracing(
  serviceName: string,
  logger: Logger,
  env: Env = process.env,
): Promise<Tracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  // Loaded only when asked for: the SDK and its exporters are a lot of code that every other
  // command, and a gateway without tracing, would otherwise parse at start.
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const { samplerFromEnv, attributeLimitsFromEnv } = await import("./sampler-from-env.ts");
  const { namedResource, resourceDetectors } = await import("./resource-detectors.ts");
  // Spans continue a client's trace, with its trace state read as the SDK reads it.
  await loadTraceState();
  const losses = spanLossLog(logger);
  const threaded = await threadedSpanProcessor(losses, env, logger);
  // The gateway's request spans skip the SDK's span object (batch-tracer.ts) when spans go to
  // the export thread and the attribute count limit leaves room for all of theirs; a lower
  // limit drops attributes as the SDK's span decides, so those spans stay the SDK's.
  const limits = attributeLimitsFromEnv();
  const chosen = samplerFromEnv(env, (message) => logger.warn(message));
  const sampler =
    threaded && limits.attributeCountLimit >= MOST_ATTRIBUTES ? probing(chosen.sampler) : undefined;
  const sdk = new NodeSDK({
    // The default service name under what the detectors find, not over it (`namedResource`).
    resource: namedResource(serviceName),
    ...(threaded ? { spanProcessors: [threaded] } : {}),
    // The one the start line names, not sdk-node's own reading of the same variables.
    sampler: sampler ?? chosen.sampler,
    // Never sdk-node's own list: its process detector exports the command line (and so a worker's
    // `--token`): resource-detectors.ts.
    resourceDetectors: resourceDetectors(env),
    idGenerator: hexIdGenerator,
    metricReaders: [],
    logRecordProcessors: [],
    contextManager: explicitContextOnly,
    // Our spans write and read W3C `traceparent` themselves (tracing/trace-context.ts).
    textMapPropagator: null,
  });
  sdk.start();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  logger.info("tracing on", {
    // Without its user info, query or fragment, where a collector's credential may ride.
    endpoint: endpoint === undefined ? undefined : urlLabel(endpoint),
    sampler: chosen.name,
    ...(chosen.ratio === undefined ? {} : { ratio: chosen.ratio }),
  });
  const sdkTracer = ownTracer(sdk) ?? trace.getTracer("mindgw");
  const found = threaded && sampler ? probe(sdkTracer) : undefined;
  const tracer =
    threaded && sampler && found
      ? new BatchTracer({
          sdk: sdkTracer,
          sampler: sampler.inner,
          ids: hexIdGenerator,
          resource: found.resource,
          scope: found.instrumentationScope,
          valueLengthLimit: limits.attributeValueLengthLimit,
          processor: threaded,
          childrenFollowParent: true,
        })
      : sdkTracer;
  // Losses are known only of the export thread's pipeline; sdk-node's own exporters say theirs to its diagnostic logger.
  if (threaded) knowLosses(tracer, losses);
  return {
    tracer,
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === "true",
    shutdown: (withinMs) => {
      const flushed = sdk.shutdown().catch((error: unknown) => {
        logger.warn("flushing traces failed", {
          error: messageOf(error),
        });
      });
      return withinMs === undefined ? flushed : flushedWithin(flushed, withinMs, logger);
    },
  };
}

/**
 * The tracer of this SDK's own provider. `sdk.start()` registers its provider as the process's
 * global one only when none is registered yet: a second `startTracing` in one process (an embedder
 * running two gateways), or one after an embedder's own registration, would otherwise take the
 * first provider's tracer through the global, its resource (another service's name) and, once
 * that one is shut down, no export at all. sdk-node keeps the provider in a private field it has
 * no getter for; undefined when it has none there (then the global, as before).
 */
function ownTracer(sdk: object): Tracer | undefined {
  const provider: unknown = Reflect.get(sdk, "_tracerProvider");
  return typeof provider === "object" && provider !== null && "getTracer" in provider
    ? (provider as TracerProvider).getTracer("mindgw")
    : undefined;
}

/** `flushed`, or the end of `withinMs` first: then the flush is given up, and the log says so. */
async function flushedWithin(flushed: Promise<void>, withinMs: number, logger: Logger): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), withinMs);
  });
  const first = await Promise.race([flushed, late]);
  clearTimeout(timer);
  if (first === "late")
    logger.warn("flushing traces given up: the collector did not answer within the drain's time", {
      waited_ms: Math.round(withinMs),
    });
}
