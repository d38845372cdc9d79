import { AttemptLog } from "../audit/attempt-log.ts";
import type { AuditRecord, FrontDoor } from "../audit/audit-record.ts";
import { errorText } from "../audit/redact-body.ts";
import { callerId, type Principal } from "../auth/principal.ts";
import type { Dialect } from "../core/dialect.ts";
import { toldMessage } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import type { ReceivedRequest } from "../routing/dispatch.ts";
import { NOTHING_DROPPED } from "../routing/route-attempt.ts";
import { asReceived } from "../routing/splice-body.ts";
import type {
  AttemptInfo,
  AttemptTelemetry,
  DispatchTelemetry,
  OutgoingRequest,
} from "../telemetry/dispatch-telemetry.ts";
import { auditedRequestBody } from "./audited-request-body.ts";
import type { EndedRequest, RequestEnds } from "./request-ends.ts";

/** Told about every request that reaches the gateway: audit, live events, limits, metrics. */
export interface RequestObserver {
  started(ledger: RequestLedger): void;
  /** `error` says why a refused or failed request ended so (for logs and spans, not stored). */
  finished(
    record: AuditRecord,
    principal: Principal | undefined,
    error: GatewayError | undefined,
    ledger: RequestLedger,
  ): void;
}

/** The last request's `serial`. */
let serials = 0;

/**
 * Collects what one request did, from arrival to its last byte, and hands exactly one
 * record to the observer, whichever way the request ends: once the turn's responses are written
 * when given `ends` (request-ends.ts), else at once. It is its own attempt log (one object a
 * request, where a log of its own was a second).
 */
export class RequestLedger extends AttemptLog implements DispatchTelemetry, EndedRequest {
  /** `performance.now()` at the request's arrival: its latency, first byte and body deadline count from it. */
  readonly startedMs = performance.now();
  /** The gateway's own number for the request (`DispatchRequest.serial`), where its id may be the caller's. */
  readonly serial = ++serials;
  principal: Principal | undefined;
  model: string | null = null;
  route: string | null = null;
  upstreamModel: string | null = null;
  /** The model the upstream says answered (`Dispatched.answeredModel`), once the answer is accounted: its span's. */
  answeredModel: string | undefined = undefined;
  stream = false;
  usage: Usage | undefined;
  costUsd = 0;
  /**
   * Its charges on their way to the other processes that count them (`SharedCharge`), as
   * `chargeUsage` made them, each one's failure logged: what its answer waits for, which never
   * rejects. Undefined: nothing to wait for.
   */
  counted: Promise<void> | undefined = undefined;
  /** The last of those counts as the policy returned it: one Redis round carries several charges. */
  lastShared: Promise<void> | undefined = undefined;
  /** What translation left out, by name (a shared empty list until something was: no list per request). */
  dropped: readonly string[] = NOTHING_DROPPED;
  /**
   * Set only with `audit.bodies: true`: the request as read, then as the dispatch holds it (its
   * bytes spliced with a route's model: splice-body.ts `asReceived` undoes that), made the row's
   * text only as the row is built (`report`). A request in flight holds its body's bytes once, not
   * a string of them beside them for the row (a 4 MB prompt held 4 MB more), nor the received bytes
   * beside those its route renamed.
   */
  auditedRequest: Pick<ReceivedRequest, "body" | "bytes" | "spliced"> | undefined;
  /** Its body began with a byte-order mark its bytes leave out (read-json-body.ts `markLeftOut`). */
  auditedMarkLeftOut = false;
  /** Set only with `audit.bodies: true`. */
  responseBody: string | undefined;
  /** `performance.now()` as the router opened the first attempt (undefined until it has). */
  firstAttemptMs: number | undefined;
  private ttfbMs: number | null = null;
  private closed = false;
  // How it ended, kept until it is reported (`endedMs` 0 until its end or whole answer is timed).
  private endedMs = 0;
  private status = 0;
  private error: GatewayError | undefined;
  /** What the client was told of `error`, when its answer's body was built already (`finish`). */
  private told: string | undefined;

  // The client's address and headers as fields of their own, not an object of them per request.
  constructor(
    readonly requestId: string,
    /** Wall-clock milliseconds at the request's arrival (the caller's read: its request id has it too). */
    readonly startedAt: number,
    readonly frontDoor: FrontDoor,
    private readonly clientIp: string | null,
    private readonly userAgent: string | null,
    /** The W3C `traceparent` the client sent, if any. */
    readonly traceparent: string | null,
    /** The W3C `tracestate` the client sent beside a `traceparent` (read only then), as it came. */
    readonly tracestate: string | null,
    private readonly observer: RequestObserver,
    private readonly ends?: RequestEnds,
    /** The dialect the caller is answered in: its error's message is read as the caller reads it. */
    readonly dialect: Dialect = "openai",
    /** The app (`apps:`) whose front door took the request; null at the root's. */
    readonly app: string | null = null,
    /**
     * `requestId` is the gateway's own (`freshRequestId`), not the caller's `x-request-id`: its
     * 128 bits are new to this request (a root span's trace id may be them: batch-request-trace.ts).
     */
    readonly freshId = false,
  ) {
    // `telemetry` is set by the observer when the request is started, for the router's attempts.
    super(undefined);
  }

  /**
   * What the router reports its attempts to: the ledger itself, which keeps the route each
   * attempt tried (so a request that fails still records the route it last tried), then the audit
   * record's attempt list, then `telemetry`.
   */
  dispatchTelemetry(): DispatchTelemetry {
    return this;
  }

  override attempt(info: AttemptInfo, startedMs: number, request?: OutgoingRequest): AttemptTelemetry {
    this.firstAttemptMs ??= startedMs;
    this.route = info.route;
    this.upstreamModel = info.upstreamModel;
    return super.attempt(info, startedMs, request);
  }

  /** A failed attempt's worker is the route the request records, unless a later attempt is made. */
  override failedAt(upstream: string): void {
    this.route = upstream;
  }

  firstByte(): void {
    this.ttfbMs ??= performance.now() - this.startedMs;
  }

  /**
   * A whole answer is in hand (not a stream): its first byte and its end are one moment, timed by
   * one clock read that `finish` then takes as the end (a read is ~70–110 ns on a virtual machine:
   * docs/BENCHMARKS-HISTORY.md, session 16).
   */
  wholeAnswer(): void {
    if (this.closed) return;
    const now = performance.now();
    this.ttfbMs ??= now - this.startedMs;
    this.endedMs = now;
  }

  /**
   * Ends the request's record; later calls are ignored, so every path may call it. The record's
   * latency is taken now (at its whole answer, when `wholeAnswer` timed that); the record is
   * built and reported with the turn's other ends. `told`: what the client read of `error`, when
   * the answer's body is built already (core/error-wire.ts `toldIn`), so it is not built again.
   */
  finish(status: number, error?: GatewayError, told?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.endedMs === 0) this.endedMs = performance.now();
    this.status = status;
    this.error = error;
    this.told = told;
    if (this.ends) this.ends.add(this);
    else this.report();
  }

  /** `performance.now()` at the request's end (its last byte), once `finish` took it; 0 before. */
  get finishedMs(): number {
    return this.endedMs;
  }

  /** Builds the one record and tells the observer (once: `finish` queues it once). */
  report(): void {
    const { status, error } = this;
    const principal = this.principal;
    const record: AuditRecord = {
      requestId: this.requestId,
      startedAt: this.startedAt,
      keyId: principal === undefined ? null : callerId(principal),
      keyName: principal?.name ?? null,
      tenant: principal?.tenant ?? null,
      role: principal?.role ?? null,
      frontDoor: this.frontDoor,
      model: this.model,
      route: this.route,
      upstreamModel: this.upstreamModel,
      status,
      errorClass: error?.code ?? null,
      stream: this.stream,
      latencyMs: Math.round((this.endedMs - this.startedMs) * 1000) / 1000,
      ttfbMs: this.ttfbMs === null ? null : Math.round(this.ttfbMs * 1000) / 1000,
      inputTokens: this.usage?.inputTokens ?? 0,
      outputTokens: this.usage?.outputTokens ?? 0,
      costUsd: this.costUsd,
      clientIp: this.clientIp,
      userAgent: this.userAgent,
    };
    // Optional fields are set only when present (not spread from a literal: one object per request).
    // What the client was told (a relayed upstream body's own message), not the gateway's account.
    if (error) record.errorMessage = errorText(this.told ?? toldMessage(error, this.dialect));
    if (this.dropped.length > 0) record.dropped = this.dropped.join(", ");
    if (this.app !== null) record.app = this.app;
    if (this.attempted()) record.attempts = this.list();
    const audited = this.auditedRequest;
    if (audited !== undefined)
      record.requestBody = auditedRequestBody(asReceived(audited), audited.body, this.auditedMarkLeftOut);
    if (this.responseBody !== undefined) record.responseBody = this.responseBody;
    // The record has them now: a ledger still held after it (its turn's other ends) holds no body.
    this.auditedRequest = undefined;
    this.responseBody = undefined;
    this.observer.finished(record, principal, error, this);
  }
}
