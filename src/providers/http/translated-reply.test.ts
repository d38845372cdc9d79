import { describe, expect, test } from "bun:test";
import { generateContentEvents } from "../../../test/fake-cloud/gemini-wire.ts";
import { SseDecoder, type SseEvent } from "../../core/sse.ts";
import { upstream } from "../../routing/byte-relay-fixture.ts";
import {
  GeminiChunkWriter,
  geminiEventReader,
} from "../../translate/openai-to-gemini/gemini-stream-to-chat.ts";
import type { ProviderReply } from "../provider.ts";
import { TranslatedEvents, translatedReply } from "./translated-reply.ts";
import { UpstreamEvents } from "./upstream-events.ts";

// A built-in provider's translated stream: the router's faster path only while it is still the
// upstream's body, the same events either way.

const GEMINI = generateContentEvents({ text: "Hello there", inputTokens: 3, outputTokens: 2 }, "m").join("");
const writer = () => new GeminiChunkWriter("chatcmpl-1", "m", true);

async function all(events: AsyncIterable<SseEvent>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** The Gemini stream as an upstream's body, read whole in one read. */
const body = () =>
  new UpstreamEvents(
    "gemini",
    upstream([new TextEncoder().encode(GEMINI)]).stream.getReader(),
    { signal: new AbortController().signal },
    4096,
  );

function eventsOf(reply: ProviderReply): AsyncIterable<SseEvent> {
  if (reply.kind !== "stream") throw new Error(`a ${reply.kind} reply`);
  return reply.events;
}

describe("translatedReply", () => {
  test("an upstream's body: TranslatedEvents, whose translation makes the events it yields", async () => {
    const upstreamBody = body();
    const events = eventsOf(translatedReply(upstreamBody, geminiEventReader(), writer()));
    if (!(events instanceof TranslatedEvents)) throw new Error("not TranslatedEvents");
    expect(events.upstream).toBe(upstreamBody);
    // As the relay runs it: the body's events through the translation, never iterating `events`.
    const relayed: SseEvent[] = [];
    for (const event of new SseDecoder().pushText(GEMINI)) events.translation.take(event, relayed);
    events.translation.end(relayed);
    expect(await all(eventsOf(translatedReply(body(), geminiEventReader(), writer())))).toEqual(relayed);
  });

  test("events that are not an upstream's body (a mock's, a tunnel's): iterated only", async () => {
    const source = {
      async *[Symbol.asyncIterator]() {
        yield* new SseDecoder().pushText(GEMINI);
      },
    };
    const events = eventsOf(translatedReply(source, geminiEventReader(), writer()));
    expect(events).not.toBeInstanceOf(TranslatedEvents);
    expect(await all(events)).toEqual(
      await all(eventsOf(translatedReply(body(), geminiEventReader(), writer()))),
    );
  });
});
