import type { GatewayEvent } from "../audit/gateway-event.ts";

/**
 * Somewhere gateway events go besides the in-process bus (`/admin/api/events`, `mindgw tail`):
 * a webhook, a stream, a log shipper. `publish` is called on the request path, so it must not
 * block or throw: queue and deliver in the background, and drop (counting) when full.
 */
export interface EventSink {
  /** Takes one event; returns at once. */
  publish(event: GatewayEvent): void;
  /**
   * Delivers what is queued (within its own bound) and releases resources; called on stop.
   * `until`: when the stop gives up on it (a `performance.now()` time): what is still undelivered
   * then is best let go, and said, before it, as the built-in sinks do (close-deadline.ts).
   */
  close?(until?: number): Promise<void>;
}
