import type { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { ListenerFailed } from "../audit/listener-faults.ts";
import type { EventSink } from "./event-sink.ts";
import type { NamedSink } from "./named-sink.ts";

/**
 * Feeds every event on the bus to each sink; the returned function detaches and closes them (each
 * told when the stop gives up on it: `until`).
 * Every sink is closed even when another's close fails; then it rejects with the failures.
 * A publish that throws, or (an `async publish`) rejects, costs that event's delivery to that sink
 * alone, never left unhandled: each sink has its own reporter on the bus (listener-faults.ts), so
 * a failure is counted once, and each sink's burst is its own warning (`an event sink's publish
 * failed: …`, its `sink` field naming it), a second sink's failure never hidden behind the first's.
 */
export function attachSinks(bus: EventBus, sinks: readonly NamedSink[]): (until?: number) => Promise<void> {
  const detach = sinks.map(({ name, sink }) => {
    const failed = bus.faults.of("an event sink's publish", { sink: name });
    // A sync throw is the bus's to catch; a rejection comes later, to the same reporter.
    return bus.tap(failed, delivering(sink, failed));
  });
  return async (until) => {
    for (const off of detach) off();
    const closed = await Promise.allSettled(sinks.map(async ({ sink }) => sink.close?.(until)));
    const failures = closed.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} event sink(s) failed to close`);
  };
}

function delivering(sink: EventSink, failed: ListenerFailed): (event: GatewayEvent) => void {
  return (event) => {
    // `publish` is typed to return nothing, but an `async` one still compiles and returns a promise.
    const result: unknown = sink.publish(event);
    if (result instanceof Promise) result.catch((error: unknown) => failed(error, event.type));
  };
}
