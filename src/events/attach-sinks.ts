import type { EventBus } from "../audit/event-bus.ts";
import type { EventSink } from "./event-sink.ts";

/** Feeds every event on the bus to each sink; the returned function detaches and closes them. */
export function attachSinks(bus: EventBus, sinks: readonly EventSink[]): () => Promise<void> {
  const detach = sinks.map((sink) => bus.tap((event) => sink.publish(event)));
  return async () => {
    for (const off of detach) off();
    await Promise.all(sinks.map((sink) => sink.close?.()));
  };
}
