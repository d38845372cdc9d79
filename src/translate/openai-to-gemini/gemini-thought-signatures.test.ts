import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { messagesRequestToChat } from "../anthropic-to-openai/messages-request-to-chat.ts";
import { Dropped } from "../dropped.ts";
import { collect, payloads, replay } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { chatRequestToGemini } from "./chat-request-to-gemini.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";
import type { OpenAIToolCall } from "./testing/gemini-fixture.ts";

// Gemini 3's thought signatures, carried in the tool-call ids the caller sees and sends back.

describe("Gemini 3's thought signatures, carried in the tool-call id", () => {
  // Standard base64 with the characters base64url replaces and padding: it must come back byte for byte.
  const SIGNATURE = "++++CiIBVKhc7oXs/w==";
  const signed = (parts: object[]) => ({
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP" }],
  });
  const callsOf = (chat: JsonObject) =>
    (chat as { choices: { message: { tool_calls: OpenAIToolCall[] } }[] }).choices[0]?.message.tool_calls ??
    [];
  const nextTurn = (calls: OpenAIToolCall[]) =>
    chatRequestToGemini({
      model: "gemini-3-pro-preview",
      messages: [
        { role: "user", content: "weather in Paris and Rome?" },
        { role: "assistant", content: null, tool_calls: calls },
        ...calls.map((call) => ({ role: "tool", tool_call_id: call.id, content: "sunny" })),
      ],
    }) as { contents: { parts: JsonObject[] }[] };

  test("a signed call's id carries its signature (base64url), and the next turn sends it back unchanged", () => {
    const calls = callsOf(
      geminiResponseToChat(
        signed([
          { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SIGNATURE },
          { functionCall: { name: "get_weather", args: { city: "Rome" } } },
        ]),
        "g",
        "c",
        1,
      ),
    );
    expect(calls[0]?.id).toMatch(/^call_[0-9a-f]{32}__ts_----CiIBVKhc7oXs_w$/);
    expect(calls[1]?.id).toMatch(/^call_[0-9a-f]{32}$/);
    const [, model, results] = nextTurn(calls).contents;
    const plainId = (i: number) => calls[i]?.id.split("__ts_")[0];
    // Parallel calls: Gemini signs the first only, and takes them back so.
    expect(model?.parts).toEqual([
      {
        functionCall: { id: plainId(0), name: "get_weather", args: { city: "Paris" } },
        thoughtSignature: SIGNATURE,
      },
      { functionCall: { id: plainId(1), name: "get_weather", args: { city: "Rome" } } },
    ]);
    expect(results?.parts.map((part) => (part.functionResponse as JsonObject).id)).toEqual([
      plainId(0),
      plainId(1),
    ]);
  });

  test("a signed call streamed keeps its signature in the id", async () => {
    const event = signed([{ functionCall: { name: "f", args: {} }, thoughtSignature: SIGNATURE }]);
    const writer = new GeminiChunkWriter("c", "g", false);
    const out = payloads(
      await collect(
        translateStream(replay([{ data: JSON.stringify(event) }]), geminiEventReader(), writer).events,
      ),
    );
    const call = out
      .flatMap((p) => (p as { choices?: { delta?: { tool_calls?: OpenAIToolCall[] } }[] }).choices ?? [])
      .flatMap((c) => c.delta?.tool_calls ?? [])[0];
    expect(call?.id).toMatch(/__ts_----CiIBVKhc7oXs_w$/);
    expect(
      nextTurn(call ? [{ ...call, type: "function" }] : []).contents[1]?.parts[0]?.thoughtSignature,
    ).toBe(SIGNATURE);
  });

  test("a tool result's image follows behind a line naming its call by the id Gemini knows, not the signature its id carries", () => {
    const signedId = `call_1a2b__ts_${"CiIBVKhc7oXs_w".repeat(8)}`;
    const chat = messagesRequestToChat(
      {
        model: "gemini-3-pro-preview",
        max_tokens: 100,
        messages: [
          { role: "user", content: "take a screenshot" },
          { role: "assistant", content: [{ type: "tool_use", id: signedId, name: "screenshot", input: {} }] },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: signedId,
                content: [
                  {
                    type: "image",
                    source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
                  },
                ],
              },
            ],
          },
        ],
      },
      new Dropped(),
      { signedCallIds: true },
    );
    const { contents } = chatRequestToGemini(chat) as { contents: { parts: JsonObject[] }[] };
    const [response, label] = contents[2]?.parts ?? [];
    expect(response?.functionResponse).toMatchObject({ id: "call_1a2b" });
    expect(label).toEqual({ text: "Images from the result of tool call call_1a2b:" });
  });

  test("calls with no signature (another vendor's, ids rewritten): the turn's first gets Google's placeholder", () => {
    const call = (id: string) => ({
      id,
      type: "function" as const,
      function: { name: "f", arguments: "{}" },
    });
    const [, model] = nextTurn([call("toolu_01"), call("call_x__ts_")]).contents;
    expect(model?.parts).toEqual([
      {
        functionCall: { id: "toolu_01", name: "f", args: {} },
        thoughtSignature: "skip_thought_signature_validator",
      },
      { functionCall: { id: "call_x__ts_", name: "f", args: {} } },
    ]);
  });
});
