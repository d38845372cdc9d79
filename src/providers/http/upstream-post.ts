import type { CancelHook } from "../../core/cancel-hook.ts";
import { type HeldTraceparentInit, TRACEPARENT, type Traceparent } from "../../core/traceparent.ts";
import type { ProviderCall } from "../provider.ts";
import type { LeanInit } from "./call-cancel.ts";
import { unreachable } from "./upstream-failure.ts";

/**
 * An upstream POST's init (what `fetch`, the lean client and its thread read: the fields
 * `threadable` allows, nothing else enumerable) that knows what its failure means: the abort
 * reason when we ended the call (client gone, timeout), else the provider unreachable (a retryable
 * 502). The failure's handler is bound to the init the call makes anyway, so the POST's promise
 * takes it in a `then` with no async frame, closure or scope object per call. Its `signal` is the
 * call's, read only by a client that takes one: where the call has a cancel hook, the lean client
 * and its thread hook in instead, and the attempt then makes no signal (routing/attempt.ts).
 *
 * A traced attempt's `traceparent` is held as its span's ids (`HeldTraceparentInit`) until a
 * client sends it: the lean client writes it into the request's bytes, and any client that reads
 * `headers` finds it there as text.
 */
export class UpstreamPost implements LeanInit, HeldTraceparentInit {
  readonly method = "POST";
  /**
   * An own, enumerable property either way (a spread of the init, as a `fetch` wrapped by an
   * embedder may make, copies it): a plain value, or, while a `traceparent` is held, a getter
   * (`HELD_HEADERS`) that puts it among them as text when first read.
   */
  declare readonly headers: Record<string, string>;
  // Private: not among the fields the clients read (the thread's allow-list), nor copied by a spread.
  readonly #provider: string;
  readonly #failed: (error: unknown) => never;
  readonly #call: Pick<ProviderCall, "signal">;
  readonly #headers: Record<string, string>;
  #held: Traceparent | undefined;
  /** Taken by the lean client in place of a listener on the signal (call-cancel.ts). */
  readonly cancel: CancelHook | undefined;

  /**
   * `headers`: this call's own (the held `traceparent` is written into them when they are read);
   * `traceparent`: a span's, held until a client sends it.
   */
  constructor(
    provider: string,
    headers: Record<string, string>,
    readonly body: string | Uint8Array<ArrayBuffer>,
    call: Pick<ProviderCall, "signal" | "cancel">,
    traceparent?: Traceparent,
  ) {
    this.#provider = provider;
    this.#failed = this.failure.bind(this);
    this.#call = call;
    this.cancel = call.cancel;
    this.#headers = headers;
    if (traceparent === undefined) this.headers = headers;
    else if (headers[TRACEPARENT] !== undefined) {
      // A header of that name given already (the provider's config): the span's replaces it.
      headers[TRACEPARENT] = traceparent.toString();
      this.headers = headers;
    } else {
      this.#held = traceparent;
      Object.defineProperty(this, "headers", UpstreamPost.#HELD_HEADERS);
    }
  }

  /** `headers` while a `traceparent` is held: one getter shared by every such init. */
  static readonly #HELD_HEADERS: PropertyDescriptor = {
    get(this: UpstreamPost): Record<string, string> {
      const held = this.#held;
      if (held !== undefined) {
        this.#held = undefined;
        this.#headers[TRACEPARENT] = held.toString();
      }
      return this.#headers;
    },
    enumerable: true,
    configurable: true,
  };

  get headersSoFar(): Record<string, string> {
    return this.#headers;
  }

  get heldTraceparent(): Traceparent | undefined {
    return this.#held;
  }

  /** The call's abort signal, for a client that takes only a signal (read on demand: see above). */
  get signal(): AbortSignal {
    return this.#call.signal;
  }

  /** `failure`, bound: the POST's rejection handler. */
  get failed(): (error: unknown) => never {
    return this.#failed;
  }

  /** Why the POST failed before any answer, as the caller should hear it. */
  failure(_error: unknown): never {
    const hook = this.cancel;
    if (hook) {
      if (hook.cancelled) throw hook.reason;
    } else if (this.signal.aborted) throw this.signal.reason;
    throw unreachable(this.#provider);
  }
}
