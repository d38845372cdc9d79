import type { Served } from "../auth/limit-pricing.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { TraceparentValue } from "../core/traceparent.ts";
import type { Usage } from "../core/usage.ts";
import type {
  AttemptAnswer,
  AttemptInfo,
  AttemptTelemetry,
  CopyTelemetry,
  DispatchTelemetry,
  OutgoingRequest,
} from "../telemetry/dispatch-telemetry.ts";
import { type AuditAttempt, MAX_AUDIT_ATTEMPTS } from "./audit-attempt.ts";

/**
 * Collects a request's upstream attempts for its audit record. It sits on the router's telemetry
 * seam (DispatchTelemetry) in front of metrics and tracing, so the router reports an attempt
 * once and both hear it.
 */
export class AttemptLog implements DispatchTelemetry {
  /** Nearly every request makes one attempt: it is held here, with no list made for it. */
  private first: LoggedAttempt | undefined;
  /** Retries and failovers, after the first, up to MAX_AUDIT_ATTEMPTS in all. */
  private more: LoggedAttempt[] | undefined;
  /** The attempt made last, kept apart from the list (whose cap may have left it out). */
  private last: LoggedAttempt | undefined;
  /**
   * The attempts that failed but were billed by their upstream (`GatewayError.usage`: a Gemini
   * turn that ended in failure, a blocked prompt failed over), each charged at its own route's
   * price (`chargeBilled`), all of them, the ones past the audit list's cap too.
   */
  private billedAttempts: LoggedAttempt[] | undefined;

  constructor(
    /** Metrics and tracing, told of each attempt after the log (set once, before the first attempt). */
    public telemetry: DispatchTelemetry | undefined,
    private readonly now: () => number = monotonicClock,
  ) {}

  attempt(info: AttemptInfo, startedMs: number, request?: OutgoingRequest): AttemptTelemetry {
    const observed = this.telemetry?.attempt(info, startedMs);
    const logged = new LoggedAttempt(this, info, observed, startedMs, this.now, request);
    this.last = logged;
    if (this.first === undefined) this.first = logged;
    else {
      this.more ??= [];
      if (1 + this.more.length < MAX_AUDIT_ATTEMPTS) this.more.push(logged);
    }
    return logged;
  }

  /** A shadow copy is no attempt of the request: not logged, told to telemetry alone. */
  shadowCopy(info: AttemptInfo, startedMs: number): CopyTelemetry | undefined {
    return this.telemetry?.shadowCopy?.(info, startedMs);
  }

  /**
   * An attempt failed (or was cancelled) before any answer at the upstream a route over several
   * chose (a worker, `worker:<name>[@<node>]`): a request that ends so is recorded under it
   * (RequestLedger), as an answered one is under who served it.
   */
  failedAt(_upstream: string): void {}

  /** A failed attempt its upstream billed, to be charged (`chargeBilled`). */
  billed(attempt: LoggedAttempt): void {
    this.billedAttempts ??= [];
    this.billedAttempts.push(attempt);
  }

  /** Whether a failed attempt was billed and is not charged yet. */
  get owesBilled(): boolean {
    return this.billedAttempts?.some((attempt) => !attempt.charged) === true;
  }

  /**
   * Charges each billed failed attempt not charged yet (once, whichever way the request ends):
   * `charge` is given its usage and where it was served, so it is priced at that route and upstream
   * model, not the answer's; the cost is kept on the attempt's audit entry with its tokens. Returns
   * what was charged now.
   */
  chargeBilled(charge: (usage: Usage, served: Served) => number): number {
    let cost = 0;
    if (this.billedAttempts) for (const attempt of this.billedAttempts) cost += attempt.charge(charge);
    return cost;
  }

  /** Whether any attempt was made. */
  attempted(): boolean {
    return this.first !== undefined;
  }

  /**
   * Whether the request's last attempt (the audit's list holds at most MAX_AUDIT_ATTEMPTS; this is
   * the last made, listed or not) had an upstream read its prompt when the client left: its request
   * was out (`OutgoingRequest`) and the attempt still without a verdict, or ended by the client's
   * leaving. One that failed first (a retry's backoff followed) was read and refused.
   */
  lastReadWhenLeft(): boolean {
    return this.last?.cutWithRequestOut() === true;
  }

  /**
   * The attempts so far; one still without a verdict is `cut` with its time until now. The clock
   * is read only for such an attempt: a request whose attempts all have their verdict (nearly
   * every one) reads none here.
   */
  list(): AuditAttempt[] {
    // A loop, not `map` with a closure (and its scope) per request.
    const list: AuditAttempt[] = [];
    if (this.first !== undefined) list.push(this.first.entryAt(this.now));
    if (this.more !== undefined) for (const logged of this.more) list.push(logged.entryAt(this.now));
    return list;
  }
}

/**
 * One attempt's handle and its audit entry: methods on one object rather than closures made per
 * attempt (this runs on every request). A settled entry is final and is handed out as it is.
 */
class LoggedAttempt implements AttemptTelemetry {
  private readonly entry: AuditAttempt;
  private verdict = false;
  readonly traceparent: TraceparentValue | undefined;
  /** What the upstream billed for this attempt though it failed (`AttemptLog.chargeBilled`). */
  private billedUsage: Usage | undefined;
  charged = false;

  constructor(
    private readonly log: AttemptLog,
    /** Where the attempt went: its price's route and upstream model. */
    private readonly info: AttemptInfo,
    private readonly observed: AttemptTelemetry | undefined,
    /** The router's reading of the attempt's start (its bounds and its route's latency count from it too). */
    private readonly started: number,
    /** Read only when a committed attempt fails and its close came without a reading. */
    private readonly now: () => number,
    /** Whether its request is out at the upstream, as far as its client can tell. */
    private readonly request: OutgoingRequest | undefined,
  ) {
    this.traceparent = observed?.traceparent;
    this.entry = {
      route: info.route,
      upstreamModel: info.upstreamModel,
      outcome: "cut",
      status: null,
      errorClass: null,
      durationMs: 0,
    };
  }

  /** Read only where a `traceparent` is sent: no field of its own, set for every attempt. */
  get tracestate(): string | undefined {
    return this.observed?.tracestate;
  }

  settled(error: GatewayError | undefined, servedBy: string | undefined, settledMs: number): void {
    this.observed?.settled(error, servedBy, settledMs);
    if (this.verdict) return;
    this.verdict = true;
    const entry = this.entry;
    if (servedBy) {
      entry.route = servedBy;
      if (error) this.log.failedAt(servedBy);
    }
    entry.durationMs = round(settledMs - this.started);
    entry.outcome = error ? "failed" : "ok";
    entry.status = error ? (error.upstream?.status ?? error.status) : null;
    entry.errorClass = error?.code ?? null;
    if (error?.usage) {
      this.billedUsage = error.usage;
      this.log.billed(this);
    }
  }

  /** Charges what the upstream billed for this attempt, once, and notes it on the entry. */
  charge(charge: (usage: Usage, served: Served) => number): number {
    const usage = this.billedUsage;
    if (usage === undefined || this.charged) return 0;
    this.charged = true;
    const costUsd = charge(usage, this.info);
    this.entry.billed = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd };
    return costUsd;
  }

  /**
   * A committed attempt whose stream then failed (cut off, an error event, the idle bound) did not
   * serve the request after all: its entry says `failed`, with the failure's status and class and
   * the time until it came, as the record's own status does — or `cut` when the client left first.
   */
  closed(error?: GatewayError, closedMs?: number, answer?: AttemptAnswer): void {
    this.observed?.closed(error, closedMs, answer);
    const entry = this.entry;
    if (!error || entry.outcome !== "ok") return;
    entry.durationMs = round((closedMs ?? this.now()) - this.started);
    if (error.code === "client_closed") {
      entry.outcome = "cut";
      return;
    }
    entry.outcome = "failed";
    entry.status = error.upstream?.status ?? error.status;
    entry.errorClass = error.code;
  }

  /** Open, or ended by its client's leaving, with its request out at the upstream (`lastReadWhenLeft`). */
  cutWithRequestOut(): boolean {
    const entry = this.entry;
    const cut = !this.verdict || entry.outcome === "cut" || entry.errorClass === "client_closed";
    return cut && this.request?.unsent !== true;
  }

  /** The entry as the record keeps it: an open one is `cut`, timed until `now()` (read only then). */
  entryAt(now: () => number): AuditAttempt {
    return this.verdict ? this.entry : { ...this.entry, durationMs: round(now() - this.started) };
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
