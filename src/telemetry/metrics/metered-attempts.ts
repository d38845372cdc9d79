import type { GatewayError } from "../../core/gateway-error.ts";
import type { AttemptInfo, AttemptTelemetry, DispatchTelemetry } from "../dispatch-telemetry.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";

/**
 * A request's upstream attempts as metrics alone see them (tracing unset, no `traceparent` from
 * the caller): the same counts and durations as the traced path, from one object per request
 * that is also each attempt's handle. The router tries a request's routes one after another and
 * every attempt gets its verdict before the next starts (try-route settles before it returns or
 * throws), so one start time and one route at a time are enough; a request then costs no
 * closures and no object per attempt.
 */
export class MeteredAttempts implements DispatchTelemetry, AttemptTelemetry {
  /** No `traceparent` to send: the caller sent none and nothing is traced. */
  readonly traceparent = undefined;
  private route = "";
  private started = 0;

  constructor(
    private readonly metrics: GatewayMetrics,
    /** The request's ledger: its model names a failover. */
    private readonly request: { readonly model: string | null },
  ) {}

  attempt(info: AttemptInfo, startedMs: number): AttemptTelemetry {
    this.metrics.attemptStarted(info, this.request.model);
    this.route = info.route;
    this.started = startedMs;
    return this;
  }

  settled(error: GatewayError | undefined, servedBy: string | undefined, settledMs: number): void {
    if (servedBy) this.route = servedBy;
    this.metrics.attempted(this.route, (settledMs - this.started) / 1000, error);
  }

  closed(): void {}
}
