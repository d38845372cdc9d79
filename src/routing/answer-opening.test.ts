import { expect, spyOn, test } from "bun:test";
import type { SseEvent } from "../core/sse.ts";
import {
  answerBegan,
  mayOpenAnswer,
  type OpeningHold,
  opensAnswer,
  settleOpening,
} from "./answer-opening.ts";

const chunk = (delta: object, rest: object = {}) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: null }],
    ...rest,
  });

const OPENING: SseEvent[] = [
  { event: "message_start", data: '{"type":"message_start","message":{"id":"m","content":[]}}' },
  { event: "ping", data: '{"type": "ping"}' },
  { event: "response.created", data: '{"type":"response.created"}' },
  { event: "response.in_progress", data: '{"type":"response.in_progress"}' },
  // OpenAI's first chunk, and vLLM's (content null).
  { data: chunk({ role: "assistant", content: "", refusal: null }, { usage: null }) },
  { data: chunk({ role: "assistant", content: null }) },
];

/** Chunks that name the role and say more: the answer's, which only a decode tells. */
const ROLE_AND_MORE: SseEvent[] = [
  // Ollama sends the role on every chunk: one with text is the answer.
  { data: chunk({ role: "assistant", content: "Hi" }) },
  { data: chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1" }] }) },
  { data: chunk({ role: "assistant", content: "" }, { usage: { prompt_tokens: 1, completion_tokens: 0 } }) },
];

/** Events told as the answer's own without a decode. */
const PLAINLY_ANSWER: SseEvent[] = [
  { event: "content_block_start", data: '{"type":"content_block_start","index":0}' },
  { event: "response.output_item.added", data: '{"type":"response.output_item.added"}' },
  { event: "error", data: '{"type":"error","error":{"type":"overloaded_error"}}' },
  { data: JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) },
  { data: JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 0 } }) },
  { data: JSON.stringify({ choices: [] }) },
  // Without its role a chunk is the answer's, empty or not: the byte relay reads no other.
  { data: chunk({ content: "" }) },
  { data: '{"error":{"message":"boom"}}' },
  { data: "[DONE]" },
];

test("what only opens an answer: Anthropic's message_start and ping, response.created and in_progress, a chat chunk with the role alone", () => {
  for (const event of OPENING) expect([event, opensAnswer(event)]).toEqual([event, true]);
  for (const event of [...ROLE_AND_MORE, ...PLAINLY_ANSWER])
    expect([event, opensAnswer(event)]).toEqual([event, false]);
});

test("what may only open an answer, told without a decode: every opening event, and every chunk that names the role, whatever else it says", () => {
  const parses = spyOn(JSON, "parse");
  try {
    for (const event of [...OPENING, ...ROLE_AND_MORE])
      expect([event, mayOpenAnswer(event)]).toEqual([event, true]);
    for (const event of PLAINLY_ANSWER) expect([event, mayOpenAnswer(event)]).toEqual([event, false]);
    expect(parses).not.toHaveBeenCalled();
  } finally {
    parses.mockRestore();
  }
});

/** A relay's hold on its opening, as both relays keep one, counting the decodes of its chunk. */
class Hold implements OpeningHold {
  answering = false;
  holdsOpening: boolean;
  readonly decoded: string[] = [];

  constructor(private readonly held = "") {
    this.holdsOpening = held !== "";
  }

  heldChunk(): string {
    this.decoded.push(this.held);
    return this.held;
  }
}

test("a held role chunk: the answer's own event after it begins the answer undecoded; anything else settles it by its decode, once", () => {
  const roleOnly = chunk({ role: "assistant", content: "" });
  const roleAndText = chunk({ role: "assistant", content: "Hi" });

  const began = new Hold(roleOnly);
  answerBegan(began);
  expect([began.answering, began.holdsOpening, began.decoded]).toEqual([true, false, []]);

  const opened = new Hold(roleOnly);
  expect(settleOpening(opened)).toBe(false);
  expect([opened.answering, opened.holdsOpening, opened.decoded]).toEqual([false, false, [roleOnly]]);
  // Settled: asked again, nothing is decoded again.
  expect(settleOpening(opened)).toBe(false);
  expect(opened.decoded).toEqual([roleOnly]);

  const answered = new Hold(roleAndText);
  expect(settleOpening(answered)).toBe(true);
  expect([answered.answering, answered.holdsOpening, answered.decoded]).toEqual([true, false, [roleAndText]]);

  // Nothing held: the verdict as it stands, nothing decoded.
  const none = new Hold();
  expect([settleOpening(none), none.decoded]).toEqual([false, []]);
});
