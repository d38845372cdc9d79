import type { SseEvent } from "../../core/sse.ts";
import {
  type StreamReader,
  type StreamWriter,
  translateStream,
} from "../../translate/stream/stream-driver.ts";
import type { ProviderReply } from "../provider.ts";
import { UpstreamEvents } from "./read-reply.ts";

/**
 * A provider's stream translated into its dialect (Bedrock, Gemini speak OpenAI chat to the
 * router): as events, and — when they are still the upstream's body — as that body's reads with
 * the same translation, for the router to relay one write per read (`ProviderReply`'s `reads`).
 * Whichever the router takes, the other is never started.
 */
export function translatedReply<C>(
  events: AsyncIterable<SseEvent>,
  read: StreamReader<C>,
  writer: StreamWriter<C>,
): ProviderReply {
  const translated = translateStream(events, read, writer);
  if (!(events instanceof UpstreamEvents)) return { kind: "stream", events: translated.events };
  return {
    kind: "stream",
    events: translated.events,
    reads: { upstream: events, translation: translated.translation },
  };
}
