import type { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { ListenerFailed } from "../audit/listener-faults.ts";
import type { LogFields } from "../log/logger.ts";
import type { EventSink } from "./event-sink.ts";

/**
 * Feeds every event on the bus to each sink; the returned function detaches and closes them.
 * Every sink is closed even when another's close fails; then it rejects with the failures.
 * A publish that throws, or (an `async publish`) rejects, costs that event's delivery to that sink
 * alone and is told to `failed` with the event's type, never left unhandled; the bus counts it
 * with its listeners' other throws (listener-faults.ts).
 */
export function attachSinks(
  bus: EventBus,
  sinks: readonly EventSink[],
  failed: (error: unknown, fields?: LogFields) => void,
): () => Promise<void> {
  const told = bus.faults.counting(failed);
  const detach = sinks.map((sink) => bus.tap("an event sink's delivery", delivering(sink, told)));
  return async () => {
    for (const off of detach) off();
    const closed = await Promise.allSettled(sinks.map(async (sink) => sink.close?.()));
    const failures = closed.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} event sink(s) failed to close`);
  };
}

function delivering(sink: EventSink, failed: ListenerFailed): (event: GatewayEvent) => void {
  return (event) => {
    try {
      // `publish` is typed to return nothing, but an `async` one still compiles and returns a promise.
      const result: unknown = sink.publish(event);
      if (result instanceof Promise) result.catch((error: unknown) => failed(error, event.type));
    } catch (error) {
      failed(error, event.type);
    }
  };
}
