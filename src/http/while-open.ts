import { clientClosed, type GatewayError } from "../core/gateway-error.ts";
import { type PluginBound, pluginTimedOut } from "./plugin-bound.ts";
import { OpenRequest, type Shutdown } from "./shutdown.ts";

/**
 * A step the request waits on before it is watched as an open request (http/request-abort.ts):
 * an authenticator's lookup, an admission against shared counters. Such a step belongs to an
 * embedder's part or a store across the network, and may never settle; the request must still end
 * when its client leaves (499) or a stop's drain deadline passes (503), with its record written and
 * its place given back, not stay in flight for ever. An embedder's plug-in's own call is also
 * `bound`: past it, 503 (plugin-bound.ts); one without `client` is ended by its bound and a stop
 * alone (its request watches its client where it waits). Only a step that is a promise waits here:
 * a caller known at once (a cached key) pays nothing.
 */
export function whileOpen<T>(
  step: Promise<T>,
  client: AbortSignal | undefined,
  open: Shutdown,
  bound?: PluginBound,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiting = bound
      ? new BoundStep(client, open, reject, bound)
      : new PendingStep(client, open, reject);
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
    protected readonly client: AbortSignal | undefined,
    protected readonly open: Shutdown,
    protected readonly reject: (reason: GatewayError) => void,
  ) {
    super();
  }

  override clientPolled(): void {
    if (!this.client?.aborted) return;
    this.open.leave(this);
    this.reject(clientClosed());
  }

  drainEnded(reason: GatewayError): void {
    this.reject(reason);
  }
}

/** A plug-in's step: the same poll also ends it once its bound has passed. */
class BoundStep extends PendingStep {
  private readonly deadline: number;

  constructor(
    client: AbortSignal | undefined,
    open: Shutdown,
    reject: (reason: GatewayError) => void,
    private readonly bound: PluginBound,
  ) {
    super(client, open, reject);
    this.deadline = performance.now() + bound.ms;
  }

  override clientPolled(): void {
    super.clientPolled();
    if (!this.listed || performance.now() < this.deadline) return;
    this.open.leave(this);
    this.bound.late();
    this.reject(pluginTimedOut(this.bound));
  }
}
