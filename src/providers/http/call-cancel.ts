import type { Abortable, CancelHook } from "../../core/cancel-hook.ts";

/** A `RequestInit` the lean client takes: with a cancel hook beside or in place of a signal. */
export type LeanInit = RequestInit & { readonly cancel?: CancelHook };

/**
 * A `CancelHook` for a caller with nothing of its own to carry it (the worker's `StreamCredit`
 * extends it): cancelled once, its signal made only when a client asks for one.
 */
export class CallCancel implements CancelHook {
  stage: Abortable | null = null;
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
    stage?.abort(reason);
    this.controller?.abort(reason);
  }
}

/**
 * The init as a client that knows only signals takes it: a hook turned into its signal (the init
 * copied without it), any other init as it is (one that carries the hook's own signal beside it,
 * as an attempt's call does, too: such a client reads no `cancel`).
 */
export function signalled(init: LeanInit | undefined): RequestInit | undefined {
  const hook = init?.cancel;
  if (hook === undefined || init?.signal === hook.signal) return init;
  const { cancel: _, ...rest } = init as LeanInit;
  return { ...rest, signal: hook.signal };
}

/** A client that knows only signals, taking a hook as its signal (`signalled`). */
export const signalOnly =
  <F extends (input: string | URL | Request, init?: RequestInit) => Promise<Response>>(client: F) =>
  (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    client(input, signalled(init));
