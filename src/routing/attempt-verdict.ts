import type { GatewayError } from "../core/gateway-error.ts";
import type { AttemptTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { Attempt } from "./attempt.ts";
import type { RouteHealth } from "./route-health.ts";

/**
 * An attempt's two ends as telemetry must hear them: the verdict (`judged`: committed or failed)
 * and the close (`done`: the upstream exchange is over), the close always after the verdict. A
 * body read whole, or a stream whose end came with its first read, is done before the router
 * has judged it: its close waits for the verdict (a span ended first would drop the route that
 * served it). One object per attempt with the state these share, not closures over it.
 */
export class AttemptVerdict {
  private settled = false;
  private verdict = false;
  private closeWaits = false;
  private closeError: GatewayError | undefined;

  constructor(
    private readonly attempt: Attempt,
    private readonly health: RouteHealth,
    private readonly routeKey: string,
    private readonly observed: AttemptTelemetry | undefined,
  ) {}

  /** Called once when the upstream exchange is over (later calls are ignored); a callback. */
  readonly done = (error?: GatewayError): void => {
    if (this.settled) return;
    this.settled = true;
    this.attempt.disarm();
    this.health.end(this.routeKey);
    if (this.verdict) this.observed?.closed(error);
    else {
      this.closeWaits = true;
      this.closeError = error;
    }
  };

  /** The router's verdict on the attempt; a close that came first is told now. */
  judged(error?: GatewayError, servedBy?: string): void {
    this.observed?.settled(error, servedBy);
    this.verdict = true;
    if (this.closeWaits) this.observed?.closed(this.closeError);
  }
}
