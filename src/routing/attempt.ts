import type { AbortFollower, AbortSource } from "../core/abort-followers.ts";
import type { Abortable, CancelHook } from "../core/cancel-hook.ts";
import { Deadlined, type DeadlineList, deadlineListOf } from "../core/deadline-list.ts";
import { clientClosed, GatewayError, upstreamTimeout } from "../core/gateway-error.ts";
import type { AttemptTimeouts } from "../providers/provider.ts";

/**
 * What a step's `arrived` hands back when it has read on (`Attempt.readOn`): the read's promise
 * then settles with that further read, not with this.
 */
export const READ_ON: unique symbol = Symbol("read on");

/**
 * What is done with a read's value as soon as it is in (`Attempt.readThen`): the step's result
 * (a value, or a promise the read then follows), or its throw, settles the read, unless the step
 * read on; `failed` maps a failed read (or the attempt's abort) to what the read rejects with.
 */
export interface ReadStep<T, R> {
  arrived(value: T): R | Promise<R> | typeof READ_ON;
  failed(error: unknown): unknown;
}

/**
 * What becomes of a read once its steps are done (`Attempt.readInto`): its promise settles with
 * `settled` of the steps' value, or, on any failure (a step's throw or `settled`'s, the read's,
 * the attempt's abort), with what `recovered` hands back (a value, or a promise to follow: another
 * attempt) or rejects with its throw. The router's own step after an attempt, taken in the read's
 * promise: no async frame, promise or turn of its own.
 */
export interface ReadOutcome<R, D> {
  settled(value: R): D;
  recovered(error: unknown): D | Promise<D>;
}

/** What each bound waits for, as a timeout message says it. */
const WAITING_FOR = {
  connect: "response headers",
  "first byte": "the first byte",
  idle: "the next chunk",
} as const;

/**
 * One try on one route: its own abort signal (client gone, or a timeout), under whichever bound
 * applies at the moment. The connect and first-byte bounds put the attempt in the deadline list
 * of their delay (core/deadline-list.ts: one timer for every attempt under the same bound, and an
 * attempt that is answered leaves at once), so a request makes no timer of its own; the idle bound
 * between a stream's chunks has a timer of its own, left running across chunks (see `expireIdle`).
 */
export class Attempt extends Deadlined implements AbortFollower, CancelHook {
  private readonly controller = new AbortController();
  /**
   * The upstream call's stage in progress, hooked in by its client (the lean client's call, a
   * tunnel exchange): aborted with the attempt, with no listener of its own on `signal`.
   */
  stage: Abortable | null = null;
  /** The idle bound's timer (a stream's, between chunks). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The list the attempt is in while a connect or first-byte bound runs. */
  private deadlines: DeadlineList | undefined;
  private phase: keyof typeof WAITING_FOR = "connect";
  private ms = 0;
  /**
   * Since when the stream has been waiting on the upstream; undefined while the client holds
   * the last chunk and has not asked for the next (a paused client is not a slow upstream).
   */
  private waitingSince: number | undefined = performance.now();
  readonly signal: AbortSignal;

  constructor(
    /** The caller's end: a signal, or who aborts it and can tell the attempt directly (no event listener). */
    private readonly client: AbortSource,
    readonly timeouts: AttemptTimeouts,
    private readonly routeLabel: string,
  ) {
    super();
    // The attempt's own controller, following the client's end (not AbortSignal.any: see
    // http/request-abort.ts); a timeout or `abort()` aborts the controller directly.
    // The attempt is its own listener either way (`handleEvent`): no closure per attempt.
    this.signal = this.controller.signal;
    if (client.aborted) this.handleEvent();
    else if (client instanceof AbortSignal) client.addEventListener("abort", this, { once: true });
    else client.follow(this);
  }

  get cancelled(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    return this.signal.reason;
  }

  /** The client's end aborted: the attempt ends with its reason. */
  handleEvent(): void {
    this.end(this.client.reason);
  }

  /** Arms the bound for the current phase (in place of any other); the attempt aborts with a 504 when it expires. */
  arm(phase: keyof typeof WAITING_FOR, ms: number): void {
    this.stopBound();
    this.phase = phase;
    this.ms = ms;
    if (phase === "idle") {
      // The attempt as the timer's argument: no closure per attempt for its callback.
      this.timer = setTimeout(expireIdle, ms, this);
      return;
    }
    this.deadlines = deadlineListOf(ms);
    this.deadlines.add(this);
  }

  /** The connect or first-byte bound passed (the list has taken the attempt out). */
  override expire(): void {
    this.deadlines = undefined;
    this.timedOut();
  }

  /**
   * The idle bound counts only time spent waiting on the upstream. The timer is left running
   * (re-arming a timer per chunk costs more than checking when it fires): when it fires while
   * the client holds the stream, or before the bound has passed since the wait began, it is
   * set again for what is left.
   */
  expireIdle(): void {
    const since = this.waitingSince;
    const left = since === undefined ? this.ms : since + this.ms - performance.now();
    if (left >= 1) {
      this.timer = setTimeout(expireIdle, left, this);
      return;
    }
    this.timedOut();
  }

  private timedOut(): void {
    this.end(
      upstreamTimeout(
        `upstream ${this.routeLabel} timed out waiting for ${WAITING_FOR[this.phase]} (${this.ms} ms)`,
      ),
    );
  }

  /** No bound runs: out of its deadline list, its idle timer cleared. */
  private stopBound(): void {
    if (this.deadlines !== undefined) {
      this.deadlines.remove(this);
      this.deadlines = undefined;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Aborts the attempt's controller, then the upstream call's stage hooked in (as a listener
   * added when the call began would have heard it), then the read in progress. Every abort of
   * the attempt comes through here, so a read needs no listener of its own on the signal.
   */
  private end(reason: unknown): void {
    if (this.signal.aborted) return;
    this.controller.abort(reason);
    const stage = this.stage;
    this.stage = null;
    stage?.abort(reason);
    const resolve = this.pendingResolve;
    const reject = this.pendingReject;
    const step = this.pendingStep;
    const outcome = this.pendingOutcome;
    this.clearPending();
    if (resolve !== undefined && reject !== undefined)
      failInto(resolve, reject, outcome, step ? step.failed(this.signal.reason) : this.signal.reason);
  }

  /** The relay is waiting on the upstream (true), or has handed a chunk to the client (false). */
  waiting(on: boolean): void {
    this.waitingSince = on ? performance.now() : undefined;
  }

  private pendingResolve: ((value: unknown) => void) | undefined;
  private pendingReject: ((reason: unknown) => void) | undefined;
  private pendingStep: ReadStep<unknown, unknown> | undefined;
  private pendingOutcome: ReadOutcome<unknown, unknown> | undefined;

  /**
   * Settles with `read`, or rejects with the abort reason as soon as the attempt is aborted
   * (`end` rejects it: no abort listener per read, nor per attempt); and unlike a race against a
   * long-lived "aborted" promise, nothing is retained per read (a race adds a reaction to that
   * promise on every call, keeping every event of a long stream alive until the attempt ends).
   * Reads are one at a time, and after an abort every read rejects at once, so a read `end`
   * rejected that settles late finds nothing pending: the two settle handlers are the
   * attempt's own, made once, not two closures per read.
   */
  read<T>(read: Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    // Its resolvers taken as they are: no executor closure per read.
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.pendingResolve = resolve as (value: unknown) => void;
    this.pendingReject = reject;
    read.then(this.readValue, this.readError);
    return promise;
  }

  /**
   * As `read`, with `step.arrived` run on the value in the turn it comes in (and `step.failed` on a
   * failure or the attempt's abort): a read and what is done with it as one promise, where an
   * async function awaiting the read would add a frame, a promise and a turn.
   */
  readThen<T, R>(read: Promise<T>, step: ReadStep<T, R>): Promise<Awaited<R>> {
    return this.stepped(read, step, undefined) as Promise<Awaited<R>>;
  }

  /**
   * As `readThen`, the read's promise settling as `outcome` says of the steps' value or failure
   * (`ReadOutcome`), the steps' further reads (`readOn`) included.
   */
  readInto<T, R, D>(read: Promise<T>, step: ReadStep<T, R>, outcome: ReadOutcome<Awaited<R>, D>): Promise<D> {
    return this.stepped(read, step, outcome as ReadOutcome<unknown, unknown>) as Promise<D>;
  }

  private stepped(
    read: Promise<unknown>,
    step: ReadStep<unknown, unknown>,
    outcome: ReadOutcome<unknown, unknown> | undefined,
  ): Promise<unknown> {
    // A step may hand back a promise (a read that goes on): the read settles as it does.
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    if (this.signal.aborted) {
      failInto(resolve, reject, outcome, step.failed(this.signal.reason));
      return promise;
    }
    this.pendingResolve = resolve;
    this.pendingReject = reject;
    this.pendingStep = step;
    this.pendingOutcome = outcome;
    read.then(this.readValue, this.readError);
    return promise;
  }

  /**
   * Inside a step's `arrived` only: the read being stepped settles with `read` and `step` instead,
   * one promise for two reads in a row (the upstream's answer, then its body), where a second
   * `readThen` made a second promise, its resolvers and a turn for its caller. Returns `READ_ON`,
   * for `arrived` to hand back.
   */
  readOn<T, R>(read: Promise<T>, step: ReadStep<T, R>): typeof READ_ON {
    const resolve = this.steppedResolve;
    const reject = this.steppedReject;
    const outcome = this.steppedOutcome;
    if (resolve === undefined || reject === undefined) throw new Error("readOn outside a step's arrival");
    this.steppedResolve = undefined;
    this.steppedReject = undefined;
    this.steppedOutcome = undefined;
    if (this.signal.aborted) failInto(resolve, reject, outcome, step.failed(this.signal.reason));
    else {
      this.pendingResolve = resolve;
      this.pendingReject = reject;
      this.pendingStep = step as ReadStep<unknown, unknown>;
      this.pendingOutcome = outcome;
      read.then(this.readValue, this.readError);
    }
    return READ_ON;
  }

  /** The resolvers of the read whose step is running, for `readOn`. */
  private steppedResolve: ((value: unknown) => void) | undefined;
  private steppedReject: ((reason: unknown) => void) | undefined;
  private steppedOutcome: ReadOutcome<unknown, unknown> | undefined;

  private clearPending(): void {
    this.pendingResolve = undefined;
    this.pendingReject = undefined;
    this.pendingStep = undefined;
    this.pendingOutcome = undefined;
  }

  // Bound methods rather than arrow fields: an arrow field closes over a scope object made for
  // each instance; a bound function does not.
  private readonly readValue = this.valueIn.bind(this);
  private readonly readError = this.errorIn.bind(this);

  private valueIn(value: unknown): void {
    const resolve = this.pendingResolve;
    const reject = this.pendingReject;
    const step = this.pendingStep;
    const outcome = this.pendingOutcome;
    this.clearPending();
    if (resolve === undefined || reject === undefined) return;
    if (step === undefined) {
      resolve(value);
      return;
    }
    this.steppedResolve = resolve;
    this.steppedReject = reject;
    this.steppedOutcome = outcome;
    let result: unknown;
    try {
      result = step.arrived(value);
    } catch (error) {
      result = READ_ON;
      failInto(resolve, reject, outcome, error);
    } finally {
      this.steppedResolve = undefined;
      this.steppedReject = undefined;
      this.steppedOutcome = undefined;
    }
    if (result !== READ_ON) settleInto(resolve, reject, outcome, result);
  }

  private errorIn(error: unknown): void {
    const resolve = this.pendingResolve;
    const reject = this.pendingReject;
    const step = this.pendingStep;
    const outcome = this.pendingOutcome;
    this.clearPending();
    if (resolve !== undefined && reject !== undefined)
      failInto(resolve, reject, outcome, step ? step.failed(error) : error);
  }

  /**
   * An event came in: the idle bound counts from now. The timer itself is left as it is (no
   * timer call per event): when it fires it re-arms for what is left since then (`expireIdle`).
   */
  rearm(): void {
    if (this.waitingSince !== undefined) this.waitingSince = performance.now();
  }

  /** The attempt is over (ended or abandoned): no bound, and no listener on the client's signal. */
  disarm(): void {
    this.stopBound();
    const client = this.client;
    if (client instanceof AbortSignal) client.removeEventListener("abort", this);
    else client.unfollow(this);
  }

  /**
   * What a stream read that failed means: a GatewayError as thrown (a timeout, a line bound),
   * the client gone when it was the client's abort, else `fallback`.
   */
  failure(error: unknown, fallback: GatewayError): GatewayError {
    if (error instanceof GatewayError) return error;
    if (this.signal.aborted)
      return this.signal.reason instanceof GatewayError ? this.signal.reason : clientClosed();
    return fallback;
  }

  /** Ends upstream work (the caller stopped reading, or the attempt is abandoned). */
  abort(reason: unknown): void {
    this.disarm();
    this.end(reason);
  }
}

type Settle = (value: unknown) => void;

/** A read's steps are done with `result`: it settles as its outcome says, or with `result` itself. */
function settleInto(
  resolve: Settle,
  reject: Settle,
  outcome: ReadOutcome<unknown, unknown> | undefined,
  result: unknown,
): void {
  if (outcome === undefined) resolve(result);
  else if (result instanceof Promise) resolve(followed(result, outcome));
  else {
    try {
      resolve(outcome.settled(result));
    } catch (error) {
      failInto(resolve, reject, outcome, error);
    }
  }
}

/** A read failed with `error`: it rejects with it, or settles as its outcome recovers. */
function failInto(
  resolve: Settle,
  reject: Settle,
  outcome: ReadOutcome<unknown, unknown> | undefined,
  error: unknown,
): void {
  if (outcome === undefined) {
    reject(error);
    return;
  }
  try {
    resolve(outcome.recovered(error));
  } catch (thrown) {
    reject(thrown);
  }
}

/**
 * A step that handed back a promise (a stream's first translated event: not the common path),
 * its outcome taken when it settles. The closures are made here, so the attempt's own handlers
 * make none.
 */
function followed(result: Promise<unknown>, outcome: ReadOutcome<unknown, unknown>): Promise<unknown> {
  return result.then(
    (value) => {
      try {
        return outcome.settled(value);
      } catch (error) {
        return outcome.recovered(error);
      }
    },
    (error: unknown) => outcome.recovered(error),
  );
}

/** The idle timer's callback, shared by every attempt (the attempt is the timer's argument). */
function expireIdle(attempt: Attempt): void {
  attempt.expireIdle();
}
