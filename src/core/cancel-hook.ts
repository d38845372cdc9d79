/** What a call's stage in progress is cut by: the lean client's call, a tunnel exchange, a thread's call. */
export interface Abortable {
  abort(reason: unknown): void;
}

/**
 * A call's cancellation in place of an `AbortSignal` listener: the caller's own object, one a
 * call (an attempt, a worker's call), into which the client hooks its stage in progress while it
 * runs (`stage`), and which aborts that stage when the caller gives up. Cancelling then costs
 * nothing until it happens: no `abort` listener added and removed a call (~0.7 µs on the event
 * loop, and the `AbortController` where the caller had none: docs/BENCHMARKS-HISTORY.md,
 * "Session 12: the worker route").
 */
export interface CancelHook {
  /** Set by the client while its call runs, cleared when it is over; aborted when the caller gives up. */
  stage: Abortable | null;
  readonly cancelled: boolean;
  /** Why it was cancelled (undefined until then). */
  readonly reason: unknown;
  /** A signal for a client that takes only a signal (`fetch`, where the lean client hands a call on). */
  readonly signal: AbortSignal;
  /**
   * Told by a client that can say when its request is out at the upstream (the lean client): `true`
   * as its call begins (a connection opening, the request queued or part written), `false` once
   * the request's last byte is written to the connection. A client that cannot tell (native
   * `fetch`, the lean client's thread, a worker tunnel) never calls it, and its request counts as
   * out from the call. What a client that leaves is charged depends on it (http/account-answer.ts).
   */
  requestUnsent?(unsent: boolean): void;
  /**
   * Whether a bound ended the call before its upstream's first byte, and no route to that upstream
   * waits longer in that phase: the cut its upstream's silence is judged by (routing/try-route.ts
   * `attemptFailed`). Read as the call is cut by a tunnel to another cluster node, whose cancel
   * says it (`timedOut`), so that the node holding the worker judges it too. Absent: never so.
   */
  cutAtLongestBound?(): boolean;
}

/**
 * Hooks `stage` into `hook` where its stage is free; false where another stage holds it (two
 * calls under one hook at once): that one then listens on `hook.signal` as before hooks were.
 */
export function hookIn(hook: CancelHook, stage: Abortable): boolean {
  if (hook.stage !== null) return false;
  hook.stage = stage;
  return true;
}

/** Lets go of `hook` (if `stage` still holds it). */
export function unhook(hook: CancelHook, stage: Abortable): void {
  if (hook.stage === stage) hook.stage = null;
}
