import { describe, expect, test } from "bun:test";
import { conversationItems, inputItems } from "./input-items.ts";

describe("inputItems", () => {
  test("nothing is no items, a string is a user message, a list is itself, one item is a list of it", () => {
    expect(inputItems(undefined)).toEqual([]);
    expect(inputItems(null)).toEqual([]);
    expect(inputItems("hi")).toEqual([{ type: "message", role: "user", content: "hi" }]);
    expect(inputItems("")).toEqual([{ type: "message", role: "user", content: "" }]);
    const list = [{ type: "message", role: "user", content: "a" }];
    expect(inputItems(list)).toBe(list);
    expect(inputItems({ type: "function_call_output", call_id: "c", output: "ok" })).toEqual([
      { type: "function_call_output", call_id: "c", output: "ok" },
    ]);
  });
});

describe("conversationItems", () => {
  const reply = { type: "message", role: "assistant", content: [{ type: "output_text", text: "hello" }] };

  test("the request's input items, then the response's output items", () => {
    expect(conversationItems({ input: "hi" }, { output: [reply] })).toEqual([
      { type: "message", role: "user", content: "hi" },
      reply,
    ]);
    const input = [{ type: "function_call_output", call_id: "c", output: "ok" }];
    expect(conversationItems({ input }, { output: [reply] })).toEqual([...input, reply]);
  });

  test("no input or no output list adds nothing for it", () => {
    expect(conversationItems({}, { output: [reply] })).toEqual([reply]);
    expect(conversationItems({ input: "hi" }, {})).toEqual([
      { type: "message", role: "user", content: "hi" },
    ]);
    expect(conversationItems({ input: "hi" }, { output: "text" })).toHaveLength(1);
  });

  test("an entry that is no object is left out (it could not be sent back as an item)", () => {
    expect(
      conversationItems({ input: ["loose", { type: "message" }] }, { output: [3, null, reply] }),
    ).toEqual([{ type: "message" }, reply]);
  });
});
