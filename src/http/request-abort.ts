/**
 * One request's abort: a single controller that every reason to end the request aborts directly
 * — the client leaving (the server request's signal), a stop's drain deadline, a revoke or expiry
 * of the caller's key — and that every layer below (router, attempts, relay) listens to. The
 * first reason wins. Before, each reason was its own controller linked into the next (three
 * controllers and four listeners a request); this is one controller and one listener.
 *
 * Not `AbortSignal.any`: in Bun 1.4 a signal from `AbortSignal.any` that has an abort listener
 * stays alive as long as its sources might still abort — a server request's signal does, for as
 * long as Bun keeps the request — so every request's composite signal, its listeners and what
 * they hold were kept (about 1 KB a request, RSS that never settled). Here the request's signal
 * holds only a listener that `release` removes.
 */
export class RequestAbort {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly follow: (() => void) | undefined;

  constructor(private readonly client: AbortSignal) {
    if (client.aborted) {
      this.controller.abort(client.reason);
      return;
    }
    this.follow = () => this.controller.abort(client.reason);
    client.addEventListener("abort", this.follow, { once: true });
  }

  /** Ends the request with `reason` (ignored when it has ended already). */
  readonly abort = (reason: unknown): void => {
    this.controller.abort(reason);
  };

  /** Stops following the client's signal (call when the request has ended). */
  release(): void {
    if (this.follow) this.client.removeEventListener("abort", this.follow);
  }
}
