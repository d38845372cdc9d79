import { expect, test } from "bun:test";
import type { SseEvent } from "../core/sse.ts";
import { CountedEvents } from "./counted-events.ts";

const chunk = (fields: object): SseEvent => ({
  data: JSON.stringify({ id: "c1", object: "chat.completion.chunk", ...fields }),
});

test("a provider's events count a token each for the estimate, but its end marker and a chunk of usage alone", async () => {
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  async function* events() {
    yield chunk({ choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] });
    // A chunk with a choice counts, a usage object on it or not.
    yield chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage });
    yield chunk({ choices: [], usage });
    yield { data: "[DONE]" };
  }
  const counted = new CountedEvents(events());
  const seen: SseEvent[] = [];
  for await (const event of counted) seen.push(event);
  expect(seen).toHaveLength(4);
  expect(counted.read).toBe(2);
});

test("each of a provider's events is a sign of life to the attempt, one the translation writes nothing for too", async () => {
  async function* events() {
    yield { event: "ping", data: '{"type":"ping"}' };
    yield { event: "ping", data: '{"type":"ping"}' };
    yield { data: "[DONE]" };
  }
  let rearmed = 0;
  const counted = new CountedEvents(events(), { rearm: () => rearmed++ });
  const seen: number[] = [];
  for await (const _event of counted) seen.push(rearmed);
  // Told as each event is read, before it goes on.
  expect(seen).toEqual([1, 2, 3]);
});
