/** What cuts a call's stage in progress: the lean client's call (its pending open, its exchange). */
export interface Cancellable {
  cancel(reason: unknown): void;
}

/**
 * A call's cancellation in place of an `AbortSignal`, handed to the lean client as `init.cancel`
 * (`LeanInit`): the caller's own object, one a call, into which the client hooks its call while it
 * runs (`stage`). Cancelling then costs nothing until it happens: no `AbortController` a call and no
 * `abort` listener added and removed (~0.8 µs a call in process, and the thread's ~4 µs:
 * docs/BENCHMARKS-HISTORY.md, "Session 12: the worker route").
 */
export interface CancelHook {
  /** Set by the client while its call runs, cleared when it is over; the hook's cancel calls it. */
  stage: Cancellable | null;
  readonly cancelled: boolean;
  /** Why it was cancelled (undefined until then). */
  readonly reason: unknown;
  /** A signal for a client that takes only a signal (`fetch`, where the lean client hands a call on). */
  readonly signal: AbortSignal;
}

/** A `RequestInit` the lean client takes: with a cancel hook in place of a signal. */
export type LeanInit = RequestInit & { readonly cancel?: CancelHook };

/**
 * A `CancelHook` for a caller with nothing of its own to carry it (the worker's `StreamCredit`
 * extends it): cancelled once, its signal made only when a client asks for one.
 */
export class CallCancel implements CancelHook {
  stage: Cancellable | null = null;
  cancelled = false;
  reason: unknown;
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Cuts the call wherever it is (its promise rejects with `reason`, or its body errors); once. */
  cancel(reason: unknown = new DOMException("This operation was aborted", "AbortError")): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    const stage = this.stage;
    this.stage = null;
    stage?.cancel(reason);
    this.controller?.abort(reason);
  }
}

/**
 * The init as a client that knows only signals takes it: a hook turned into its signal (the init
 * copied without it), any other init as it is.
 */
export function signalled(init: LeanInit | undefined): RequestInit | undefined {
  const hook = init?.cancel;
  if (hook === undefined) return init;
  const { cancel: _, ...rest } = init as LeanInit;
  return { ...rest, signal: hook.signal };
}

/** A client that knows only signals, taking a hook as its signal (`signalled`). */
export const signalOnly =
  <F extends (input: string | URL | Request, init?: RequestInit) => Promise<Response>>(client: F) =>
  (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    client(input, signalled(init));
