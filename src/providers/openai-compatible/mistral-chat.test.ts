import { describe, expect, test } from "bun:test";
import { mistralRefusal } from "../../../test/fake-upstream/mistral-api.ts";
import type { JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";
import { withoutEchoedPrefix } from "./echoed-prefix.ts";
import { forMistral, mistralPrefix } from "./mistral-chat.ts";

const call = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } });

describe("forMistral", () => {
  test("a conversation Mistral takes as it is goes as it is (no copy)", () => {
    const body = {
      model: "m",
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u" },
        { role: "system", content: "a system message after the user's is taken" },
        { role: "assistant", content: null, tool_calls: [call("a1B2c3D4e")] },
        { role: "tool", tool_call_id: "a1B2c3D4e", content: "r" },
        { role: "assistant", content: "done" },
        { role: "user", content: "thanks" },
      ],
    };
    expect(forMistral(body)).toBe(body);
    expect(mistralRefusal(body)).toBeUndefined();
  });

  test("ids: Mistral's kept, others made distinct, and never one the request already sends", () => {
    const messages = [
      { role: "user", content: "u" },
      { role: "assistant", content: null, tool_calls: [call("a1B2c3D4e"), call("call_1"), call("call_2")] },
      { role: "tool", tool_call_id: "call_2", content: "2" },
      { role: "tool", tool_call_id: "a1B2c3D4e", content: "a" },
      { role: "tool", tool_call_id: "call_1", content: "1" },
    ];
    const out = forMistral({ messages }).messages as JsonObject[];
    const ids = ((out[1] as JsonObject).tool_calls as JsonObject[]).map((c) => c.id);
    expect(ids[0]).toBe("a1B2c3D4e");
    expect(new Set(ids).size).toBe(3);
    expect(out.slice(2).map((m) => m.tool_call_id)).toEqual([ids[2], ids[0], ids[1]]);
    expect(mistralRefusal({ messages: out })).toBeUndefined();
  });

  test("a user message after a tool result with parts that are not text: the result's content, as parts", () => {
    const image = { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } };
    const out = forMistral({
      messages: [
        { role: "user", content: "look" },
        { role: "assistant", content: null, tool_calls: [call("a1B2c3D4e")] },
        { role: "tool", tool_call_id: "a1B2c3D4e", content: "a screenshot:" },
        { role: "user", content: [image] },
      ],
    }).messages as JsonObject[];
    expect(out.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "a1B2c3D4e",
      content: [{ type: "text", text: "a screenshot:" }, image],
    });
  });

  test("a late system message with none leading: one leads, the conversation's order else kept", () => {
    const out = forMistral({
      messages: [
        { role: "user", content: "u" },
        { role: "assistant", content: "a" },
        { role: "system", content: [{ type: "text", text: "be brief" }] },
        { role: "user", content: "u2" },
      ],
    }).messages as JsonObject[];
    expect(out).toEqual([
      { role: "system", content: [{ type: "text", text: "be brief" }] },
      { role: "user", content: "u" },
      { role: "assistant", content: "a" },
      { role: "user", content: "u2" },
    ]);
    expect(mistralRefusal({ messages: out })).toBeUndefined();
  });

  test("a last assistant turn is a prefix only with text and no calls", () => {
    const last = (message: JsonObject) =>
      (forMistral({ messages: [{ role: "user", content: "u" }, message] }).messages as JsonObject[]).at(-1);
    expect(last({ role: "assistant", content: [{ type: "text", text: "Sure" }] })?.prefix).toBe(true);
    expect(last({ role: "assistant", content: "  " })?.prefix).toBeUndefined();
    expect(
      last({ role: "assistant", content: null, tool_calls: [call("a1B2c3D4e")] })?.prefix,
    ).toBeUndefined();
    expect(
      mistralPrefix({
        messages: [
          { role: "user", content: "u" },
          { role: "assistant", content: "{" },
        ],
      }),
    ).toBe(undefined);
    expect(
      mistralPrefix({
        messages: [
          { role: "user", content: "u" },
          { role: "assistant", content: "{", prefix: true },
        ],
      }),
    ).toBe("{");
  });
});

describe("withoutEchoedPrefix", () => {
  const chunk = (content: string, index = 0): SseEvent => ({
    data: JSON.stringify({ choices: [{ index, delta: { content } }] }),
  });
  const texts = async (events: SseEvent[], prefix: string, answers = 1) => {
    async function* source() {
      yield* events;
    }
    const reply = withoutEchoedPrefix({ kind: "stream", events: source() }, prefix, answers);
    if (reply.kind !== "stream") throw new Error("expected a stream");
    const out: string[] = [];
    for await (const event of reply.events)
      out.push(event.data === "[DONE]" ? "[DONE]" : JSON.parse(event.data).choices[0].delta.content);
    return out;
  };

  test("the prefix again, whole or across deltas, goes; the rest of the stream as it came", async () => {
    expect(await texts([chunk("Sure, "), chunk("here."), { data: "[DONE]" }], "Sure, ")).toEqual([
      "",
      "here.",
      "[DONE]",
    ]);
    expect(await texts([chunk("Sure,"), chunk(" here"), chunk("Sure, ")], "Sure, ")).toEqual([
      "",
      "here",
      "Sure, ",
    ]);
  });

  test("an answer that does not begin with the prefix is left as it is", async () => {
    expect(await texts([chunk("red"), chunk("}")], '{"colour": ')).toEqual(["red", "}"]);
    // Its first delta a start of the prefix, held back, then given back with the delta that parts from it.
    expect(await texts([chunk("Hel"), chunk("p is on the way")], "Hello there")).toEqual([
      "",
      "Help is on the way",
    ]);
  });

  test("each choice's own prefix, every choice read until each is past it", async () => {
    expect(await texts([chunk("Ok", 0), chunk("Ok, fine", 1), chunk(" then", 0)], "Ok", 2)).toEqual([
      "",
      ", fine",
      " then",
    ]);
  });

  test("a whole answer's text without it", () => {
    const reply = withoutEchoedPrefix(
      {
        kind: "json",
        body: { choices: [{ index: 0, message: { role: "assistant", content: "Sure, here." } }] },
      },
      "Sure, ",
    );
    expect(reply.kind === "json" && reply.body.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "here." } },
    ]);
  });
});
