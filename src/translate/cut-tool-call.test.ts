import { describe, expect, test } from "bun:test";
import { cutByBound, sentBound, wholeCutTold } from "./cut-tool-call.ts";

describe("a tool call cut by the bound, said tool_calls", () => {
  test("the bound sent: max_completion_tokens, else max_tokens; none for several answers, whose usage is shared", () => {
    expect(sentBound({ max_completion_tokens: 10, max_tokens: 20 })).toBe(10);
    expect(sentBound({ max_tokens: 20 })).toBe(20);
    expect(sentBound({ max_tokens: 20, n: 2 })).toBeUndefined();
    expect(sentBound({})).toBeUndefined();
    expect(sentBound(undefined)).toBeUndefined();
  });

  test("cut: tool_calls, arguments no whole JSON, the bound reached; anything short of that is not", () => {
    expect(cutByBound("tool_calls", '{"a": "b', 100, 100)).toBe(true);
    expect(cutByBound("tool_calls", '{"a": "b', 101, 100)).toBe(true);
    expect(cutByBound("tool_calls", '{"a": "b', 99, 100)).toBe(false);
    expect(cutByBound("tool_calls", '{"a": "b"}', 100, 100)).toBe(false);
    expect(cutByBound("tool_calls", "", 100, 100)).toBe(false);
    expect(cutByBound("stop", '{"a": "b', 100, 100)).toBe(false);
    expect(cutByBound("tool_calls", '{"a": "b', undefined, 100)).toBe(false);
    expect(cutByBound("tool_calls", '{"a": "b', 100, undefined)).toBe(false);
  });

  test("a whole answer so cut ends length (a copy); any other is the answer as it came", () => {
    const answer = (args: string, written: number) => ({
      choices: [
        {
          index: 0,
          message: { role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: args } }] },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: written },
    });
    const cut = answer('{"path": "a', 50);
    expect(wholeCutTold(cut, 50)).toMatchObject({ choices: [{ finish_reason: "length" }] });
    expect(cut.choices[0]?.finish_reason).toBe("tool_calls");
    const whole = answer('{"path": "a"}', 50);
    expect(wholeCutTold(whole, 50)).toBe(whole);
    expect(wholeCutTold(cut, undefined)).toBe(cut);
  });
});
