import type { Tracer } from "@opentelemetry/api";
import type { AnyElysia } from "elysia";
import type { AccessLineRelay } from "../audit/access-line-relay.ts";
import type { EventBus } from "../audit/event-bus.ts";
import type { RedactBody } from "../audit/redact-body.ts";
import type { Config } from "../config/config-schema.ts";
import type { createFrontDoor } from "../http/front-door.ts";
import type { RequestObserver } from "../http/request-ledger.ts";
import type { Logger } from "../log/logger.ts";
import { accessLog } from "./access-log.ts";
import { GatewayMetrics, type MetricSources } from "./metrics/gateway-metrics.ts";
import { modelLabeller } from "./metrics/labels.ts";
import { MeteredAttempts } from "./metrics/metered-attempts.ts";
import { metricsRoutes, startMetricsListener } from "./metrics/metrics-routes.ts";
import { observeRequest } from "./request-telemetry.ts";
import { isRequestTrace, requestTraces } from "./tracing/request-trace.ts";
import { spanLossesOf } from "./tracing/span-loss-log.ts";

/**
 * What operators see of the gateway beside its answers: the access log, metrics and (when
 * configured) traces. Built once by the composition root; call sites only see the observer
 * interfaces it hands out, which cost nothing when a concern is off.
 */
export interface Telemetry {
  /** Wraps the request observer (audit) so every request is also logged, counted and traced. */
  observe(inner: RequestObserver): RequestObserver;
  /** Undefined with `metrics.enabled: false`. */
  readonly metrics: GatewayMetrics | undefined;
  /** Route groups for the main listener (`/metrics`, admin role). */
  routes(guard: ReturnType<typeof createFrontDoor>["guard"]): AnyElysia[];
  /** Stops the `metrics.listen` listener. */
  close(): void;
}

export interface TelemetryOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly sources: MetricSources;
  /** Config reloads and rejections are read off the event bus. */
  readonly bus: EventBus;
  /**
   * The config's name for a client's model name (`RouteTable.routedAs`): the name or alias, or
   * the glob it matched; undefined when nothing routes it (counted as `other`).
   */
  readonly routedAs: (model: string) => string | undefined;
  /** Registers a listener for audit batch write times (ms). */
  readonly onAuditFlush: (listener: (ms: number) => void) => void;
  /** Spans go here; undefined when tracing is off (no OTEL_* exporter configured). */
  readonly tracer?: Tracer | undefined;
  /**
   * Prompts and answers on spans (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`): the
   * redaction they go through first (the audit bodies' own: an embedder's `redactBody`, or the
   * gateway's credential redaction); absent, no content.
   */
  readonly content?: RedactBody | undefined;
  /** Served requests' access lines that go with their audit rows (`AuditService.lines`). */
  readonly accessLines?: AccessLineRelay | undefined;
}

export function createTelemetry(options: TelemetryOptions): Telemetry {
  const logRequest = accessLog(options.logger, options.accessLines);
  const losses = spanLossesOf(options.tracer);
  const sources = losses ? { ...options.sources, traceSpansDropped: () => losses.total } : options.sources;
  const metrics = options.config.metrics.enabled
    ? new GatewayMetrics(sources, modelLabeller(options.routedAs), options.logger)
    : undefined;
  if (metrics) {
    options.bus.tap(
      "the metrics' event listener",
      (event) => {
        if (event.type === "config.reloaded") metrics.configReloaded("applied");
        else if (event.type === "config.restart_required") metrics.configReloaded("restart_required");
        else if (event.type === "config.rejected") metrics.configReloaded("rejected");
        else if (event.type === "config.restored") metrics.configReloaded("restored");
      },
      ["config.reloaded", "config.restart_required", "config.rejected", "config.restored"],
    );
    options.onAuditFlush((ms) => metrics.auditFlushed(ms / 1000));
  }
  const listen = options.config.metrics.listen;
  const listener = metrics && listen ? startMetricsListener(listen, metrics, options.logger) : undefined;
  if (listener) options.logger.info("metrics listening", { url: listener.url });
  const traces = options.tracer ? requestTraces(options.tracer, options.content) : undefined;
  const deps = { metrics, traces };
  return {
    metrics,
    routes: (guard) => (metrics ? [metricsRoutes({ guard, metrics })] : []),
    close: () => listener?.stop(),
    observe: (inner) => ({
      started(ledger) {
        inner.started(ledger);
        if (traces || ledger.traceparent) {
          // Kept on the ledger itself, found again in `finished`: no WeakMap entry per request.
          ledger.telemetry = observeRequest(ledger, deps);
        } else if (metrics) ledger.telemetry = new MeteredAttempts(metrics, ledger);
        if (ledger.stream) metrics?.streamStarted();
      },
      finished(record, principal, error, ledger) {
        inner.finished(record, principal, error, ledger);
        logRequest(record, error);
        const request = ledger.telemetry;
        if (isRequestTrace(request)) request.finish(record);
        else if (request instanceof MeteredAttempts) request.requestEnded(ledger.finishedMs);
        else traces?.refused(ledger, record);
        if (!metrics) return;
        metrics.requestFinished(record, error);
        if (record.stream) metrics.streamEnded();
      },
    }),
  };
}
