import { describe, expect, test } from "bun:test";
import { Dropped } from "../dropped.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";
import { anthropicOutputLimit, UNKNOWN_MODEL_LIMIT } from "./output-limit.ts";
import { rejected } from "./testing/rejected.ts";

// A chat request's messages, sampling, limits and stops as Anthropic's Messages request. Its tools,
// thinking, structured output and media: chat-request-{tools,thinking,schemas,media}.test.ts.

describe("chatRequestToMessages", () => {
  test("system and developer messages → system; sampling, stop, user, stream", () => {
    const body = chatRequestToMessages({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
        { role: "user", content: "Hi" },
      ],
      max_completion_tokens: 300,
      temperature: 1.6,
      top_p: 0.5,
      stop: "END",
      user: "u-7",
      stream: true,
      stream_options: { include_usage: true },
      seed: 3,
    });
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      system: "Be terse.\n\nUse metric units.",
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      max_tokens: 300,
      temperature: 1,
      top_p: 0.5,
      stop_sequences: ["END"],
      metadata: { user_id: "u-7" },
      stream: true,
    });
  });

  test("top_p 1, which asks nothing, is not sent beside a temperature (Claude 4.5 models refuse the pair)", () => {
    const base = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "x" }] };
    const sampling = (extra: Record<string, unknown>) => {
      const dropped = new Dropped();
      const body = chatRequestToMessages({ ...base, ...extra }, dropped);
      return [body.temperature, body.top_p, dropped.list];
    };
    expect(sampling({ temperature: 0.7, top_p: 1 })).toEqual([0.7, undefined, []]);
    expect(sampling({ top_p: 1 })).toEqual([undefined, 1, []]);
    // Any other top_p goes; a model that refuses the pair is sent the call again without it (routing/refused-hint.ts).
    expect(sampling({ temperature: 0.7, top_p: 0.9 })).toEqual([0.7, 0.9, []]);
  });

  test("max_tokens falls back to max_tokens, then the most the upstream model may write", () => {
    const base = { model: "gpt-5.5", messages: [{ role: "user", content: "x" }] };
    expect(chatRequestToMessages({ ...base, max_tokens: 77 }).max_tokens).toBe(77);
    expect(chatRequestToMessages({ ...base, max_completion_tokens: 88, max_tokens: 77 }).max_tokens).toBe(88);
    // Codex sets no bound: an apply_patch longer than 4,096 tokens was cut mid-call.
    expect(chatRequestToMessages(base, new Dropped(), "claude-sonnet-4-5").max_tokens).toBe(64_000);
    expect(chatRequestToMessages(base, new Dropped(), "claude-up").max_tokens).toBe(UNKNOWN_MODEL_LIMIT);
    // Without the route's model, the request's own names it.
    expect(chatRequestToMessages({ ...base, model: "claude-opus-4-1" }).max_tokens).toBe(32_000);
  });

  test.each([
    ["claude-opus-5-5", 128_000],
    ["claude-fable-5-1", 128_000],
    ["claude-sonnet-4-6", 128_000],
    ["claude-opus-4-6", 128_000],
    ["claude-opus-4-5-20251101", 64_000],
    ["claude-sonnet-4-5@20250929", 64_000],
    ["claude-haiku-4-5", 64_000],
    ["anthropic.claude-sonnet-4-20250514-v1:0", 64_000],
    ["claude-opus-4-20250514", 32_000],
    ["claude-opus-4-1@20250805", 32_000],
    ["claude-3-7-sonnet-latest", 64_000],
    ["claude-3-5-haiku-20241022", 8_192],
    ["claude-3-opus-20240229", 4_096],
    ["kimi-k2", UNKNOWN_MODEL_LIMIT],
  ])("the default bound for %s is its documented output limit, %d", (model, limit) => {
    expect(anthropicOutputLimit(model)).toBe(limit);
  });

  test("text that is empty or only whitespace, which Anthropic refuses as a text block, is left out", () => {
    const body = chatRequestToMessages({
      model: "m",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "developer", content: " \n" },
        {
          role: "user",
          content: [
            { type: "text", text: "run it" },
            { type: "text", text: "\n\n" },
          ],
        },
        // vLLM's Qwen and gpt-oss often answer "\n\n" before a tool call.
        {
          role: "assistant",
          content: "\n\n",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "sh", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "ok" },
        { role: "user", content: "  " },
        { role: "assistant", content: [{ type: "text", text: " " }] },
        { role: "user", content: "and now?" },
      ],
    });
    expect(body.system).toBe("Be terse.");
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "run it" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "sh", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "ok" },
          { type: "text", text: "and now?" },
        ],
      },
    ]);
  });

  test("a stop sequence empty or only whitespace, which Anthropic refuses, is left out and named, or refused", () => {
    const base = { model: "m", messages: [{ role: "user", content: "x" }] };
    const sent = (stop: unknown) => {
      const dropped = new Dropped();
      const body = chatRequestToMessages({ ...base, stop }, dropped);
      return [body.stop_sequences, dropped.list];
    };
    expect(sent("\n")).toEqual([undefined, ["stop (blank)"]]);
    expect(sent(["\n\n", "END"])).toEqual([["END"], ["stop (blank)"]]);
    expect(sent(["", "END", " \t"])).toEqual([["END"], ["stop (blank)"]]);
    expect(sent(["END", " .\n"])).toEqual([["END", " .\n"], []]);
    expect(sent(null)).toEqual([undefined, []]);
    const refused = rejected({ ...base, stop: ["END", "\n"] });
    expect([refused?.status, refused?.param]).toEqual([400, "stop.1"]);
    expect(refused?.message).toContain("stop (blank) is empty or only whitespace");
    expect(rejected({ ...base, stop: "\n" })?.param).toBe("stop");
  });

  test("a last user message with nothing Claude can read is a 400 naming it, not a conversation ending on the assistant's turn", () => {
    const after = (last: Record<string, unknown>) =>
      rejected({
        model: "m",
        messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "ok" }, last],
      });
    const blankFile = { type: "file", file: { filename: "a.txt", file_data: "data:text/plain;base64,IA==" } };
    // Left out, it made the assistant's "ok" the last turn: a prefill Claude continues (or refuses).
    for (const last of [
      { role: "user", content: [blankFile] },
      { role: "user", content: " \n" },
      { role: "user", content: [{ type: "text", text: "\t" }] },
    ]) {
      const refused = after(last);
      expect([refused?.status, refused?.param]).toEqual([400, "messages.2"]);
      expect(refused?.message).toBe(
        "messages.2: no content Claude can read (blank text, a blank text file and a file by id are left out); left out, the conversation would end with the assistant's turn, which Claude continues as a prefill: give it some text",
      );
    }
    // Alone, it left no message at all.
    const alone = rejected({ model: "m", messages: [{ role: "user", content: "  " }] });
    expect([
      alone?.param,
      alone?.message.endsWith("left out, no message would be left: give it some text"),
    ]).toEqual(["messages.0", true]);
  });

  test("a last message the assistant's stays a prefill, and a blank user message with a user turn before it is left out", () => {
    const messages = (list: Record<string, unknown>[]) =>
      chatRequestToMessages({ model: "m", messages: list }).messages;
    expect(
      messages([
        { role: "user", content: "hi" },
        { role: "assistant", content: "The answer is" },
      ]),
    ).toEqual([
      { role: "user", content: [{ type: "text", text: "hi" }] },
      { role: "assistant", content: [{ type: "text", text: "The answer is" }] },
    ]);
    expect(
      messages([
        { role: "user", content: "hi" },
        { role: "user", content: " " },
      ]),
    ).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });
});
