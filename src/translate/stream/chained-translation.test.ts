import { describe, expect, test } from "bun:test";
import { generateContentEvents } from "../../../test/fake-cloud/gemini-wire.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { SseDecoder, type SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { chatStreamToMessages } from "../anthropic-to-openai/chat-stream-to-messages.ts";
import { GeminiChunkWriter, geminiEventReader } from "../openai-to-gemini/gemini-stream-to-chat.ts";
import { ChainedTranslation, KeptEvents } from "./chained-translation.ts";
import { translateStream } from "./stream-driver.ts";
import { StreamTranslation } from "./stream-translation.ts";

// A provider's translation (Gemini → chat chunks) chained to the router's (chat → Messages, or an
// OpenAI caller's pass), run event by event into one list as the relay runs it over a read.

const answer = { text: "Hello there, general Kenobi", inputTokens: 5, outputTokens: 6 };
const geminiEvents = () =>
  new SseDecoder().pushText(generateContentEvents(answer, "gemini-2.5-flash").join(""));
const none: AsyncIterable<SseEvent> = { async *[Symbol.asyncIterator]() {} };
const gemini = () =>
  new StreamTranslation(
    geminiEventReader(),
    new GeminiChunkWriter("chatcmpl-1", "gemini-2.5-flash", true),
    undefined,
  );

/** Each event through the chain, as the relay takes a read's; the end taken if no event was it. */
function run(chain: ChainedTranslation, events: SseEvent[]): SseEvent[] {
  const out: SseEvent[] = [];
  for (const event of events) if (chain.take(event, out)) return out;
  chain.end(out);
  return out;
}

const textOf = (events: SseEvent[]) =>
  events
    .map(
      (event) => JSON.parse(event.data.startsWith("{") ? event.data : "{}") as { delta?: { text?: string } },
    )
    .map((data) => data.delta?.text ?? "")
    .join("");

describe("ChainedTranslation", () => {
  test("Gemini → chat → Messages: the events the two async drivers make, usage told once", async () => {
    const source = {
      async *[Symbol.asyncIterator]() {
        yield* geminiEvents();
      },
    };
    const asChat = translateStream(
      source,
      geminiEventReader(),
      new GeminiChunkWriter("chatcmpl-1", "m", true),
    );
    const expected: SseEvent[] = [];
    for await (const event of chatStreamToMessages(asChat.events, { requestedModel: "m" }).events)
      expected.push(event);

    const usages: Usage[] = [];
    const second = chatStreamToMessages(none, {
      requestedModel: "m",
      onUsage: (usage) => usages.push(usage),
    });
    const chain = new ChainedTranslation(gemini(), second.translation);
    const out = run(chain, geminiEvents());
    expect(chain.done).toBe(true);
    expect(out.map((event) => event.event)).toEqual(expected.map((event) => event.event));
    expect(textOf(out)).toBe(answer.text);
    expect(out.at(-1)?.event).toBe("message_stop");
    expect(usages.length).toBe(1);
    expect(usages[0]?.inputTokens).toBe(5);
  });

  test("an OpenAI caller's pass: every chunk seen, the ones the keeper drops left out, [DONE] last", () => {
    const seen: SseEvent[] = [];
    const keeper = {
      onUsage: (event: SseEvent) => {
        seen.push(event);
        return !event.data.includes('"choices":[]');
      },
    };
    const chain = new ChainedTranslation(gemini(), new KeptEvents(keeper));
    const out = run(chain, geminiEvents());
    expect(chain.done).toBe(true);
    expect(seen.some((event) => event.data.includes('"choices":[]'))).toBe(true);
    expect(out.length).toBe(seen.length - 1);
    expect(out.at(-1)?.data).toBe("[DONE]");
  });

  test("a stream cut before its answer was complete throws at its end", () => {
    const chain = new ChainedTranslation(gemini(), new KeptEvents({ onUsage: () => true }));
    const events = geminiEvents();
    const error = (() => {
      try {
        return run(chain, events.slice(0, -1));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toContain("before the answer was complete");
  });
});
