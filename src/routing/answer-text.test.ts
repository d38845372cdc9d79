import { expect, test } from "bun:test";
import type { StreamWire } from "../core/error-wire.ts";
import { AnswerText } from "./answer-text.ts";

const encoder = new TextEncoder();
const sse = (events: readonly (readonly [string | undefined, object])[]) =>
  events.map(([name, data]) => `${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`).join("");

/** The characters `wire`'s counter reads in `text`, handed over in writes cut at each `cuts` event. */
function counted(wire: StreamWire, writes: readonly string[]): number {
  const text = new AnswerText(wire);
  for (const write of writes) text.add(encoder.encode(write));
  return text.chars;
}

// One answer, "Héllo" then " wörld\n" and a tool call's arguments, as each wire says it.
const WORDS = ["Héllo", ' wörld\n"', '{"city":"Paris"}'];
const CHARS = WORDS.join("").length;

test("the same answer counts the same in chat's, Anthropic's and the Responses API's events, framing and repeats left out", () => {
  const chat = [
    sse([
      [
        undefined,
        {
          id: "c",
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta: { role: "assistant", content: "" } }],
        },
      ],
    ]),
    sse([
      [
        undefined,
        { id: "c", choices: [{ index: 0, delta: { content: WORDS[0] }, finish_reason: null }], usage: null },
      ],
      [undefined, { id: "c", choices: [{ index: 0, delta: { content: WORDS[1] }, finish_reason: null }] }],
    ]),
    sse([
      [
        undefined,
        {
          id: "c",
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: 0,
                    id: "call_1",
                    type: "function",
                    function: { name: "weather", arguments: WORDS[2] },
                  },
                ],
              },
            },
          ],
        },
      ],
    ]),
    sse([[undefined, { id: "c", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }]]),
    "data: [DONE]\n\n",
  ];
  const anthropic = [
    sse([
      [
        "message_start",
        {
          type: "message_start",
          message: { id: "msg", type: "message", role: "assistant", content: [], model: "m" },
        },
      ],
      [
        "content_block_start",
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      ],
      [
        "content_block_delta",
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: WORDS[0] } },
      ],
      [
        "content_block_delta",
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: WORDS[1] } },
      ],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      [
        "content_block_start",
        {
          type: "content_block_start",
          index: 1,
          content_block: { type: "tool_use", id: "toolu_1", name: "weather", input: {} },
        },
      ],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: WORDS[2] },
        },
      ],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use" } }],
      ["message_stop", { type: "message_stop" }],
    ]),
  ];
  const text = `${WORDS[0]}${WORDS[1]}`;
  const responses = [
    sse([
      [
        "response.output_text.delta",
        { type: "response.output_text.delta", item_id: "msg_1", delta: WORDS[0] },
      ],
      [
        "response.output_text.delta",
        { type: "response.output_text.delta", item_id: "msg_1", delta: WORDS[1] },
      ],
      ["response.output_text.done", { type: "response.output_text.done", text }],
      [
        "response.content_part.done",
        { type: "response.content_part.done", part: { type: "output_text", text } },
      ],
      [
        "response.function_call_arguments.delta",
        { type: "response.function_call_arguments.delta", delta: WORDS[2] },
      ],
      [
        "response.function_call_arguments.done",
        { type: "response.function_call_arguments.done", arguments: WORDS[2] },
      ],
      [
        "response.completed",
        { type: "response.completed", response: { output: [{ content: [{ type: "output_text", text }] }] } },
      ],
    ]),
  ];
  expect([counted("openai", chat), counted("anthropic", anthropic), counted("responses", responses)]).toEqual(
    [CHARS, CHARS, CHARS],
  );
});

test("a key's name inside text, or a key whose value is no string, is no text", () => {
  expect(
    counted("openai", [
      sse([[undefined, { choices: [{ delta: { content: null, reasoning_content: 'say "content":"x"' } }] }]]),
    ]),
  ).toBe(17);
  expect(counted("anthropic", ['data: {"type":"text", "text" : "ab"}\n\n'])).toBe(2);
});
