import { describe, expect, test } from "bun:test";
import { Dropped } from "../dropped.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";
import { rejected } from "./testing/rejected.ts";

// An assistant's reasoning and a request's reasoning_effort as Anthropic's thinking and effort.

describe("chatRequestToMessages: thinking", () => {
  test("an assistant's reasoning_content: left out for Claude, a thinking block without signature for a server that takes it back", () => {
    const call = { id: "call_1", type: "function", function: { name: "ls", arguments: "{}" } };
    const request = {
      model: "deepseek-v4-pro",
      messages: [
        { role: "user", content: "list the files" },
        { role: "assistant", content: null, reasoning_content: "Listing first.", tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "a.txt" },
        // A tool-call turn another route answered carries it empty (reasoning-back.ts).
        { role: "assistant", content: "", reasoning_content: "", tool_calls: [{ ...call, id: "call_2" }] },
        { role: "tool", tool_call_id: "call_2", content: "b.txt" },
      ],
    };
    const toolUse = (id: string) => ({ type: "tool_use", id, name: "ls", input: {} });
    expect(chatRequestToMessages(request).messages).toMatchObject([
      {},
      { role: "assistant", content: [toolUse("call_1")] },
      {},
      { role: "assistant", content: [toolUse("call_2")] },
      {},
    ]);
    expect(chatRequestToMessages(request, new Dropped(), undefined, true).messages).toMatchObject([
      {},
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "Listing first.", signature: "" }, toolUse("call_1")],
      },
      {},
      { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "" }, toolUse("call_2")] },
      {},
    ]);
  });

  test("to a server that takes thinking back, a tool-call turn without reasoning_content leads with an empty thinking block", () => {
    // Most chat SDKs send no reasoning_content back, and a turn another route answered has none:
    // DeepSeek's thinking mode refuses the tool-call turn without thinking all the same.
    const call = { id: "call_1", type: "function", function: { name: "ls", arguments: "{}" } };
    const request = {
      model: "deepseek-v4-pro",
      messages: [
        { role: "user", content: "list the files" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "a.txt" },
        { role: "assistant", content: "a.txt" },
        { role: "user", content: "thanks" },
      ],
    };
    expect(chatRequestToMessages(request, new Dropped(), undefined, true).messages).toEqual([
      { role: "user", content: [{ type: "text", text: "list the files" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "", signature: "" },
          { type: "tool_use", id: "call_1", name: "ls", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "a.txt" }] },
      // A turn that called no tool needs none, and has none made up.
      { role: "assistant", content: [{ type: "text", text: "a.txt" }] },
      { role: "user", content: [{ type: "text", text: "thanks" }] },
    ]);
    // Claude is sent none.
    expect(chatRequestToMessages(request).messages).toMatchObject([
      {},
      { content: [{ type: "tool_use", id: "call_1" }] },
      {},
      {},
      {},
    ]);
  });

  test("consecutive assistant messages merged into one turn: their reasoning one thinking block, leading it", () => {
    const call = { id: "call_1", type: "function", function: { name: "ls", arguments: "{}" } };
    const turn = (...assistants: Record<string, unknown>[]) =>
      chatRequestToMessages(
        {
          model: "deepseek-v4-pro",
          messages: [
            { role: "user", content: "list the files" },
            ...assistants.map((message) => ({ role: "assistant", ...message })),
            { role: "tool", tool_call_id: "call_1", content: "a.txt" },
          ],
        },
        new Dropped(),
        undefined,
        true,
      ).messages as { content: unknown[] }[];
    const text = { type: "text", text: "Let me look." };
    const toolUse = { type: "tool_use", id: "call_1", name: "ls", input: {} };
    const thinking = (reasoning: string) => ({ type: "thinking", thinking: reasoning, signature: "" });
    expect(
      turn(
        { content: "Let me look.", reasoning_content: "r1" },
        { content: null, reasoning_content: "r2", tool_calls: [call] },
      )[1]?.content,
    ).toEqual([thinking("r1\n\nr2"), text, toolUse]);
    // The tool-call message's empty thinking adds nothing to the first's…
    expect(
      turn({ content: "Let me look.", reasoning_content: "r1" }, { content: null, tool_calls: [call] })[1]
        ?.content,
    ).toEqual([thinking("r1"), text, toolUse]);
    // …and leads a turn whose first message had none.
    expect(turn({ content: "Let me look." }, { content: null, tool_calls: [call] })[1]?.content).toEqual([
      thinking(""),
      text,
      toolUse,
    ]);
  });

  test("reasoning_effort max and xhigh are Anthropic's own; none, which it has no level for, is named", () => {
    // A model no rule places is sent the level asked (chat-effort-levels.test.ts: by the model).
    const base = { model: "m", messages: [{ role: "user", content: "x" }] };
    const dropped = new Dropped();
    expect(chatRequestToMessages({ ...base, reasoning_effort: "max" }, dropped).output_config).toEqual({
      effort: "max",
    });
    expect(chatRequestToMessages({ ...base, reasoning_effort: "xhigh" }, dropped).output_config).toEqual({
      effort: "xhigh",
    });
    expect(dropped.list).toEqual([]);
    expect(
      chatRequestToMessages({ ...base, reasoning_effort: "none" }, dropped).output_config,
    ).toBeUndefined();
    expect(dropped.list).toEqual(["reasoning_effort"]);
    expect(rejected({ ...base, reasoning_effort: "none" })?.param).toBe("reasoning_effort");
  });
});
