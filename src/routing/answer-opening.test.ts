import { expect, test } from "bun:test";
import { opensAnswer } from "./answer-opening.ts";

test("what only opens an answer: Anthropic's message_start and ping, response.created and in_progress, a chat chunk with the role alone", () => {
  const chunk = (delta: object, rest: object = {}) =>
    JSON.stringify({
      id: "c",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: null }],
      ...rest,
    });
  const opening = [
    { event: "message_start", data: '{"type":"message_start","message":{"id":"m","content":[]}}' },
    { event: "ping", data: '{"type": "ping"}' },
    { event: "response.created", data: '{"type":"response.created"}' },
    { event: "response.in_progress", data: '{"type":"response.in_progress"}' },
    // OpenAI's first chunk, and vLLM's (content null).
    { data: chunk({ role: "assistant", content: "", refusal: null }, { usage: null }) },
    { data: chunk({ role: "assistant", content: null }) },
  ];
  for (const event of opening) expect([event, opensAnswer(event)]).toEqual([event, true]);
  const answer = [
    { event: "content_block_start", data: '{"type":"content_block_start","index":0}' },
    { event: "response.output_item.added", data: '{"type":"response.output_item.added"}' },
    { event: "error", data: '{"type":"error","error":{"type":"overloaded_error"}}' },
    // Ollama sends the role on every chunk: one with text is the answer.
    { data: chunk({ role: "assistant", content: "Hi" }) },
    { data: chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1" }] }) },
    { data: JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) },
    { data: JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 0 } }) },
    { data: JSON.stringify({ choices: [] }) },
    // Without its role a chunk is the answer's, empty or not: the byte relay reads no other.
    { data: chunk({ content: "" }) },
    { data: '{"error":{"message":"boom"}}' },
    { data: "[DONE]" },
  ];
  for (const event of answer) expect([event, opensAnswer(event)]).toEqual([event, false]);
});
