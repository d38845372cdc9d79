import type { GatewayError } from "../core/gateway-error.ts";
import type { AttemptInfo, AttemptTelemetry, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { type AuditAttempt, MAX_AUDIT_ATTEMPTS } from "./audit-attempt.ts";

/**
 * Collects a request's upstream attempts for its audit record. It sits on the router's telemetry
 * seam (DispatchTelemetry) in front of metrics and tracing, so the router reports an attempt
 * once and both hear it.
 */
export class AttemptLog implements DispatchTelemetry {
  private readonly entries: AuditAttempt[] = [];
  /** Attempts still without a verdict, with their start. */
  private readonly open = new Map<AuditAttempt, number>();

  constructor(
    private readonly inner: DispatchTelemetry | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  attempt(info: AttemptInfo): AttemptTelemetry {
    const observed = this.inner?.attempt(info);
    const started = this.now();
    const entry: AuditAttempt = {
      route: info.route,
      upstreamModel: info.upstreamModel,
      outcome: "cut",
      status: null,
      errorClass: null,
      durationMs: 0,
    };
    const kept = this.entries.length < MAX_AUDIT_ATTEMPTS;
    if (kept) {
      this.entries.push(entry);
      this.open.set(entry, started);
    }
    let verdict = false;
    return {
      headers: observed?.headers,
      settled: (error?: GatewayError, servedBy?: string) => {
        observed?.settled(error, servedBy);
        if (verdict) return;
        verdict = true;
        this.open.delete(entry);
        if (servedBy) entry.route = servedBy;
        entry.durationMs = round(this.now() - started);
        entry.outcome = error ? "failed" : "ok";
        entry.status = error ? (error.upstream?.status ?? error.status) : null;
        entry.errorClass = error?.code ?? null;
      },
      closed: (error?: GatewayError) => observed?.closed(error),
    };
  }

  /** The attempts so far; one still without a verdict is `cut` with its time until now. */
  list(): AuditAttempt[] {
    const now = this.now();
    return this.entries.map((entry) => {
      const started = this.open.get(entry);
      return started === undefined ? { ...entry } : { ...entry, durationMs: round(now - started) };
    });
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
