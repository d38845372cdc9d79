import { Deadlined } from "../core/deadline-list.ts";

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

/**
 * An attempt's reads of its upstream (routing/attempt.ts), each one promise however many steps
 * follow it in the turn its value comes in: the answer, then its body (`readOn`), then the
 * router's outcome (`readInto`). A read settles, or fails with the attempt's abort, through the
 * attempt's own bound handlers: no listener, closure or async frame a read. Reads are one at a
 * time. A base class of the attempt rather than an object of its own: no cell a request for it.
 */
export abstract class SteppedReads extends Deadlined {
  /** Whether the attempt has ended: a read begun after its abort fails at once, with `reason`. */
  abstract readonly cancelled: boolean;
  abstract readonly reason: unknown;

  // Written out: a derived class's implicit constructor spreads its arguments (an array a request).
  // biome-ignore lint/complexity/noUselessConstructor: see above
  constructor() {
    super();
  }

  private pendingResolve: ((value: unknown) => void) | undefined;
  private pendingReject: ((reason: unknown) => void) | undefined;
  private pendingStep: ReadStep<unknown, unknown> | undefined;
  private pendingOutcome: ReadOutcome<unknown, unknown> | undefined;

  /**
   * Settles with `read`, or rejects with the abort reason as soon as the attempt is aborted
   * (the attempt's `end` rejects it through `failPending`: no abort listener per read, nor per attempt); and unlike a race against a
   * long-lived "aborted" promise, nothing is retained per read (a race adds a reaction to that
   * promise on every call, keeping every event of a long stream alive until the attempt ends).
   * Reads are one at a time, and after an abort every read rejects at once, so a read `end`
   * rejected that settles late finds nothing pending: the two settle handlers are the
   * attempt's own, made once, not two closures per read.
   */
  read<T>(read: Promise<T>): Promise<T> {
    if (this.cancelled) return Promise.reject(this.reason);
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
    if (this.cancelled) {
      failInto(resolve, reject, outcome, step.failed(this.reason));
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
    if (this.cancelled) failInto(resolve, reject, outcome, step.failed(this.reason));
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

  /**
   * The read in progress fails with `reason` (the attempt's abort): its step maps it, and its
   * outcome recovers from it, as from any failed read.
   */
  protected failPending(reason: unknown): void {
    const resolve = this.pendingResolve;
    const reject = this.pendingReject;
    const step = this.pendingStep;
    const outcome = this.pendingOutcome;
    this.clearPending();
    if (resolve !== undefined && reject !== undefined)
      failInto(resolve, reject, outcome, step ? step.failed(reason) : reason);
  }

  private clearPending(): void {
    this.pendingResolve = undefined;
    this.pendingReject = undefined;
    this.pendingStep = undefined;
    this.pendingOutcome = undefined;
  }

  // Bound methods rather than arrow fields: an arrow field closes over a scope object made for
  // each instance; a bound function does not.
  private readonly readValue = this.valueIn.bind(this);
  // A failed read is what an abort of the read in progress is: its step maps it, its outcome recovers.
  private readonly readError = this.failPending.bind(this);

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
