import type { CancelHook } from "../../core/cancel-hook.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { ProviderCall } from "../provider.ts";
import type { LeanInit } from "./call-cancel.ts";
import { unreachable } from "./unreachable.ts";

/**
 * An upstream POST's init (what `fetch`, the lean client and its thread read: the five fields
 * `threadable` allows, nothing else enumerable) that also knows what its failure means: the abort
 * reason when we ended the call (client gone, timeout), a GatewayError an embedder's fetch threw as
 * it is, else the provider unreachable (a retryable 502). The failure's handler is bound to the init the call makes anyway, so the POST's promise
 * takes it in a `then` with no async frame, closure or scope object per call. Its `signal` is the
 * call's, read only by a client that takes one: where the call has a cancel hook, the lean client
 * and its thread hook in instead, and the attempt then makes no signal (routing/attempt.ts).
 */
export class UpstreamPost implements LeanInit {
  readonly method = "POST";
  // Private: not among the fields the clients read (the thread's allow-list), nor copied by a spread.
  readonly #provider: string;
  readonly #failed: (error: unknown) => never;
  readonly #call: Pick<ProviderCall, "signal">;
  /** Taken by the lean client in place of a listener on the signal (call-cancel.ts). */
  readonly cancel: CancelHook | undefined;

  constructor(
    provider: string,
    readonly headers: Record<string, string>,
    readonly body: string | Uint8Array<ArrayBuffer>,
    call: Pick<ProviderCall, "signal" | "cancel">,
  ) {
    this.#provider = provider;
    this.#failed = this.failure.bind(this);
    this.#call = call;
    this.cancel = call.cancel;
  }

  /** The call's abort signal, for a client that takes only a signal (read on demand: see above). */
  get signal(): AbortSignal {
    return this.#call.signal;
  }

  /**
   * Never followed, by any client (upstream-redirect.ts): a redirect comes back as it came. On the
   * prototype, as `signal` is: no field a call, none among those the lean client and its thread read.
   */
  get redirect(): RequestRedirect {
    return "manual";
  }

  /** `failure`, bound: the POST's rejection handler. */
  get failed(): (error: unknown) => never {
    return this.#failed;
  }

  /** Why the POST failed before any answer, as the caller should hear it. */
  failure(error: unknown): never {
    const hook = this.cancel;
    if (hook) {
      if (hook.cancelled) throw hook.reason;
    } else if (this.signal.aborted) throw this.signal.reason;
    // An embedder's injected fetch that says its own failure (its ErrorCode, its status) is told so.
    if (error instanceof GatewayError) throw error;
    throw unreachable(this.#provider, error);
  }
}
