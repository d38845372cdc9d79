import type { EventSink } from "./event-sink.ts";

/**
 * A sink and how the gateway's warnings name it (the `sink` field): its place in the config
 * (`events.webhooks[0]`, `events.redis_stream`) or in createGateway's `events` (`events[1]`), so
 * of two sinks failing each is said, and the operator knows which.
 */
export interface NamedSink {
  readonly name: string;
  readonly sink: EventSink;
}

/** An embedder's sinks (createGateway's `events`), named by their place there. */
export const embedderSinks = (sinks: readonly EventSink[] = []): NamedSink[] =>
  sinks.map((sink, index) => ({ name: `events[${index}]`, sink }));
