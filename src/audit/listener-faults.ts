import type { LogFields, Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import { repeatedFailure } from "../log/repeated-failure.ts";
import type { GatewayEvent } from "./gateway-event.ts";

/** Told of one event a listener failed to take, and of which type it was. */
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
  /** Events a listener failed to take since start. */
  total = 0;

  constructor(private readonly logger: Logger = silentLogger) {}

  /** The reporter of one listener, named as its warning names it: `the metrics' event listener`. */
  of(listener: string): ListenerFailed {
    return this.counting(repeatedFailure(this.logger, listener));
  }

  /** Counts each failure before `said` tells it (an event sink's, logged in words of its own). */
  counting(said: (error: unknown, fields?: LogFields) => void): ListenerFailed {
    return (error, type) => {
      this.total++;
      said(error, { event: type });
    };
  }
}
