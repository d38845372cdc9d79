import { type ContextManager, context, DiagConsoleLogger, diag, trace } from "@opentelemetry/api";
import { diagLogLevelFromString, getStringFromEnv, getStringListFromEnv } from "@opentelemetry/core";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from "@opentelemetry/resources";
import { type IdGenerator, type Sampler, type SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { spanLimitsFromEnv } from "./sampler-from-env.ts";

/**
 * `OTEL_NODE_RESOURCE_DETECTORS` as sdk-node reads it (its `getResourceDetectorsFromEnv`, which
 * the package does not export): unset, sdk-node's default list; `all`, every one; `none`, none;
 * else the named ones, an unknown name warned about through `diag`.
 */
function detectorsFromEnv(): ResourceDetector[] {
  if (!getStringFromEnv("OTEL_NODE_RESOURCE_DETECTORS"))
    return [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector];
  const named = new Map<string, ResourceDetector>([
    ["host", hostDetector],
    ["os", osDetector],
    ["serviceinstance", serviceInstanceIdDetector],
    ["process", processDetector],
    ["env", envDetector],
  ]);
  const names = getStringListFromEnv("OTEL_NODE_RESOURCE_DETECTORS") ?? ["all"];
  if (names.includes("all")) return [...named.values()];
  if (names.includes("none")) return [];
  return names.flatMap((name) => {
    const detector = named.get(name);
    if (!detector)
      diag.warn(
        `Invalid resource detector "${name}" specified in the environment variable OTEL_NODE_RESOURCE_DETECTORS`,
      );
    return detector ?? [];
  });
}

export interface TraceProviderParts {
  /** `service.name` unless `OTEL_SERVICE_NAME` (or `OTEL_RESOURCE_ATTRIBUTES`) names it. */
  readonly serviceName: string | undefined;
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  readonly spanProcessor: SpanProcessor;
  readonly contextManager: ContextManager;
}

/**
 * What `new NodeSDK({ spanProcessors, sampler, idGenerator, contextManager, textMapPropagator:
 * null, metricReaders: [], logRecordProcessors: [] }).start()` sets up for traces, without
 * loading sdk-node: `OTEL_LOG_LEVEL`'s diagnostic logger, the context manager, the resource
 * (sdk-node's default resource, its detectors, the service name) and the tracer provider with
 * the environment's span limits, registered globally. For the pipeline whose spans go to the
 * export thread: sdk-node imports every exporter it could be asked for (gRPC, Zipkin,
 * Prometheus, the log and metric SDKs) at once, ~35,000 heap cells and ~3.7 MB that such a
 * gateway never runs (docs/BENCHMARKS-HISTORY.md, session 15). Returns the provider, whose
 * `shutdown` flushes the processor as `NodeSDK.shutdown` does.
 */
export function startTraceProvider(parts: TraceProviderParts): TracerProvider {
  const logLevel = getStringFromEnv("OTEL_LOG_LEVEL");
  if (logLevel != null)
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  parts.contextManager.enable();
  context.setGlobalContextManager(parts.contextManager);
  const detected = defaultResource().merge(detectResources({ detectors: detectorsFromEnv() }));
  const resource =
    parts.serviceName === undefined
      ? detected
      : // `service.name`, sdk-node's ATTR_SERVICE_NAME (the conventions package is large to load for one name).
        detected.merge(resourceFromAttributes({ "service.name": parts.serviceName }));
  const provider = new TracerProvider({
    sampler: parts.sampler,
    spanLimits: spanLimitsFromEnv(),
    resource,
    idGenerator: parts.idGenerator,
    spanProcessors: [parts.spanProcessor],
  });
  trace.setGlobalTracerProvider(provider);
  return provider;
}
