import { type ContextManager, ROOT_CONTEXT, type Tracer, trace } from "@opentelemetry/api";
import type { Logger } from "../../log/logger.ts";

/** A running trace pipeline: the tracer to start spans with, and how to flush it at exit. */
export interface Tracing {
  readonly tracer: Tracer;
  /** `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`: prompts and answers on spans. */
  readonly captureContent: boolean;
  shutdown(): Promise<void>;
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
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName }),
    metricReaders: [],
    logRecordProcessors: [],
    contextManager: explicitContextOnly,
    // Our spans write and read W3C `traceparent` themselves (tracing/trace-context.ts).
    textMapPropagator: null,
  });
  sdk.start();
  logger.info("tracing on", {
    endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT,
    sampler: env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on",
  });
  return {
    tracer: trace.getTracer("mindgw"),
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === "true",
    shutdown: () =>
      sdk.shutdown().catch((error: unknown) => {
        logger.warn("flushing traces failed", {
          error: error instanceof Error ? error.message : String(error),
        });
      }),
  };
}
