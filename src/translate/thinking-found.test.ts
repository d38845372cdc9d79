import { expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { Dropped } from "./dropped.ts";
import { withThinkingBack } from "./thinking-back.ts";
import { lookForThinking, type ThinkingFound } from "./thinking-found.ts";
import { withoutUnsignedThinking } from "./unsigned-thinking.ts";

// The look (lookForThinking) reads each block once for both questions, and each rewriter makes its
// own pass: the rules are written in both places, and these hold them to one answer.

const signed = { type: "thinking", thinking: "Listing first.", signature: "EqQBCkYIBxgCKkA" };
const unsigned = { type: "thinking", thinking: "Listing first.", signature: "" };
const redacted = { type: "redacted_thinking", data: "EmwKAhgBEgy3va" };
const emptyRedacted = { type: "redacted_thinking", data: "" };
const call = { type: "tool_use", id: "toolu_1", name: "Bash", input: {} };
const text = { type: "text", text: "a.txt" };

const off = { thinking: { type: "disabled" } };

test.each([
  ["Claude's signed thinking and a call", [signed, call], {}, false, false],
  ["a chat route's unsigned thinking and a call", [unsigned, call], {}, true, false],
  ["Claude's redacted thinking and a call", [redacted, call], {}, false, true],
  ["a redacted block without its data", [emptyRedacted, text], {}, true, true],
  ["a call without thinking, in thinking mode", [text, call], {}, false, true],
  ["a call without thinking, thinking mode off", [text, call], off, false, false],
  ["redacted thinking in a turn without a call", [redacted], {}, false, true],
  ["text alone", [text], {}, false, false],
  ["blocks of no object", ["a", 3, null, call, signed], {}, false, false],
])(
  "%s: unsigned thinking %p, thinking to mend %p, as the rewriters find",
  (_, blocks, extra, unsignedFound, toMend) => {
    const body: JsonObject = {
      model: "m",
      max_tokens: 64,
      messages: [
        { role: "user", content: "list the files" },
        { role: "assistant", content: blocks },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        { role: "assistant", content: "a turn of text alone" },
      ],
      ...extra,
    };
    const found: ThinkingFound = {};
    lookForThinking(body, found);
    expect(found).toEqual({ unsignedThinking: unsignedFound, thinkingToMend: toMend });
    expect(withoutUnsignedThinking(body, new Dropped()) !== body).toBe(unsignedFound);
    expect(withThinkingBack(body, new Dropped()) !== body).toBe(toMend);
  },
);

test("a body without a list of messages holds neither", () => {
  const found: ThinkingFound = {};
  lookForThinking({ model: "m", messages: "hi" }, found);
  expect(found).toEqual({ unsignedThinking: false, thinkingToMend: false });
});
