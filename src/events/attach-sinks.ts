import type { EventBus } from "../audit/event-bus.ts";
import type { EventSink } from "./event-sink.ts";

/**
 * Feeds every event on the bus to each sink; the returned function detaches and closes them.
 * Every sink is closed even when another's close fails; then it rejects with the failures.
 */
export function attachSinks(bus: EventBus, sinks: readonly EventSink[]): () => Promise<void> {
  const detach = sinks.map((sink) => bus.tap((event) => sink.publish(event)));
  return async () => {
    for (const off of detach) off();
    const closed = await Promise.allSettled(sinks.map(async (sink) => sink.close?.()));
    const failures = closed.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} event sink(s) failed to close`);
  };
}
