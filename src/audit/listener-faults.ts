import type { LogFields, Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import type { GatewayEvent } from "./gateway-event.ts";

/** Told of one event a listener failed to take, and of which type it was. Never throws. */
export type ListenerFailed = (error: unknown, type: GatewayEvent["type"]) => void;

/**
 * What becomes of an event listener that throws (the metrics', the dashboard's, the cluster's
 * relay, a live stream's filter, an event sink): that event is lost to it alone, the publisher and
 * the other listeners go on. Where the bus once dropped the throw without a word, each is counted
 * (`mindgw_event_listener_errors_total`) and said at warn, once a burst per listener (the first at
 * once, then at most a line every 30 s with how many: repeated-failure.ts), with the event's type
 * and the error's words, never the event itself (a request's record names its caller).
 */
export class ListenerFaults {
  private failures = 0;

  constructor(private readonly logger: Logger = silentLogger) {}

  /** Events a listener failed to take since start. */
  get total(): number {
    return this.failures;
  }

  /**
   * The reporter of one listener, named as its warning names it (`the metrics' event listener`),
   * `fields` on each of its lines beside the event's type (which sink: `{ sink: "events[1]" }`).
   */
  of(listener: string, fields: LogFields = {}): ListenerFailed {
    const said = repeatedFailure(this.logger, listener);
    return (error, type) => {
      // Counted before it is said, so a logger that throws loses the line, never the count.
      this.failures++;
      try {
        said(error, { ...fields, event: type });
      } catch {
        // The logger itself failed (an embedder's): there is nowhere left to say it, and a throw
        // here would reach the publisher, a request's path, or leave a sink's rejection unhandled.
      }
    };
  }
}
