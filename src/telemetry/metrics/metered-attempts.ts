import type { GatewayError } from "../../core/gateway-error.ts";
import type { AttemptInfo, AttemptTelemetry, DispatchTelemetry } from "../dispatch-telemetry.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";
import type { AttemptCells } from "./series-cells.ts";

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
  /** The attempt's outcome cells from its verdict, until its end times it (`closed`). */
  private cells: AttemptCells | undefined;

  constructor(
    private readonly metrics: GatewayMetrics,
    /** The request's ledger: its model names a failover. */
    private readonly request: { readonly model: string | null },
  ) {}

  attempt(info: AttemptInfo, startedMs: number): AttemptTelemetry {
    this.metrics.attemptStarted(info, this.request.model);
    // An attempt given up before its close (the router went on): timed to this one's start.
    if (this.cells) this.ended(startedMs);
    this.route = info.route;
    this.started = startedMs;
    return this;
  }

  settled(error: GatewayError | undefined, servedBy: string | undefined, _settledMs: number): void {
    if (servedBy) this.route = servedBy;
    this.cells = this.metrics.attempted(this.route, error);
  }

  /**
   * Its end: a failure's or a whole answer's at the router's reading. A committed stream's end
   * comes without one: it is timed by the request's own end (`requestEnded`), a moment later, so
   * that no clock is read here for it.
   */
  closed(_error?: GatewayError, closedMs?: number): void {
    if (this.cells && closedMs !== undefined) this.ended(closedMs);
  }

  /** The request ended at `endedMs` (its ledger's reading): an attempt not timed yet ends with it. */
  requestEnded(endedMs: number): void {
    if (this.cells) this.ended(endedMs);
  }

  private ended(atMs: number): void {
    this.metrics.attemptEnded(this.cells as AttemptCells, (atMs - this.started) / 1000);
    this.cells = undefined;
  }
}
