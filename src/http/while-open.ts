import { clientClosed, type GatewayError } from "../core/gateway-error.ts";
import { type PluginCall, pluginTimedOut } from "./plugin-bound.ts";
import { OpenRequest, type Shutdown } from "./shutdown.ts";

/**
 * A step the request waits on before it is watched as an open request (http/request-abort.ts):
 * an authenticator's lookup, an admission against shared counters. Such a step belongs to an
 * embedder's part or a store across the network, and may never settle; the request must still end
 * when its client leaves (499) or a stop's drain deadline passes (503), with its record written and
 * its place given back, not stay in flight for ever. A step that is (or holds) an embedder's
 * plug-in's call is also bound by that `call`: past its deadline, 503 (plugin-bound.ts). The call
 * is timed on its request's own wait, so a client that leaves ends both (one entry a request):
 * a call timed on a wait of its own outlived its request and was told as answered 503. Only a step
 * that is a promise waits here: a caller known at once (a cached key) pays nothing.
 */
export function whileOpen<T>(
  step: Promise<T>,
  client: AbortSignal,
  open: Shutdown,
  call?: PluginCall,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiting = call ? new BoundStep(client, open, reject, call) : new PendingStep(client, open, reject);
    open.enter(waiting);
    step.then(
      (value) => {
        open.leave(waiting);
        resolve(value);
      },
      (error: unknown) => {
        open.leave(waiting);
        reject(error);
      },
    );
  });
}

/** The waiting step as an open request: the poll and a stop's deadline end it. */
class PendingStep extends OpenRequest {
  constructor(
    private readonly client: AbortSignal,
    protected readonly open: Shutdown,
    protected readonly reject: (reason: GatewayError) => void,
  ) {
    super();
  }

  override clientPolled(): void {
    if (!this.client.aborted) return;
    this.open.leave(this);
    this.reject(clientClosed());
  }

  drainEnded(reason: GatewayError): void {
    this.reject(reason);
  }
}

/** A plug-in's step: the same poll also ends it once its call's deadline has passed. */
class BoundStep extends PendingStep {
  constructor(
    client: AbortSignal,
    open: Shutdown,
    reject: (reason: GatewayError) => void,
    private readonly call: PluginCall,
  ) {
    super(client, open, reject);
  }

  override clientPolled(): void {
    super.clientPolled();
    if (!this.listed || performance.now() < this.call.deadline) return;
    this.open.leave(this);
    this.call.bound.late();
    this.reject(pluginTimedOut(this.call.bound));
  }
}
