import type { CancelHook } from "../../core/cancel-hook.ts";
import type { LeanInit } from "./call-cancel.ts";
import { unreachable } from "./upstream-failure.ts";

/**
 * An upstream POST's init (what `fetch`, the lean client and its thread read: the five fields
 * `threadable` allows, nothing else enumerable) that also knows what its failure means: the abort
 * reason when we ended the call (client gone, timeout), else the provider unreachable (a retryable
 * 502). The failure's handler is bound to the init the call makes anyway, so the POST's promise
 * takes it in a `then` with no async frame, closure or scope object per call.
 */
export class UpstreamPost implements LeanInit {
  readonly method = "POST";
  // Private: not among the fields the clients read (the thread's allow-list), nor copied by a spread.
  readonly #provider: string;
  readonly #failed: (error: unknown) => never;

  constructor(
    provider: string,
    readonly headers: Record<string, string>,
    readonly body: string | Uint8Array<ArrayBuffer>,
    readonly signal: AbortSignal,
    /** Taken by the lean client in place of a listener on the signal (call-cancel.ts). */
    readonly cancel: CancelHook | undefined,
  ) {
    this.#provider = provider;
    this.#failed = this.failure.bind(this);
  }

  /** `failure`, bound: the POST's rejection handler. */
  get failed(): (error: unknown) => never {
    return this.#failed;
  }

  /** Why the POST failed before any answer, as the caller should hear it. */
  failure(_error: unknown): never {
    if (this.signal.aborted) throw this.signal.reason;
    throw unreachable(this.#provider);
  }
}
