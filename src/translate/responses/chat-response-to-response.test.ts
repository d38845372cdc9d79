import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { converseResponseToChat } from "../openai-to-bedrock/converse-response-to-chat.ts";
import { geminiResponseToChat } from "../openai-to-gemini/gemini-response-to-chat.ts";
import { chatResponseToResponse, newResponseId } from "./chat-response-to-response.ts";
import { conversationItems } from "./input-items.ts";
import { responsesUsage } from "./response-envelope.ts";

const request = { model: "gpt-4o-mini", input: "Hi", instructions: "Be nice." };

describe("chatResponseToResponse", () => {
  test("text answer → message item with output_text", () => {
    const response = chatResponseToResponse(jsonFixture("openai/chat-text.json"), request, "resp_abc");
    expect(response).toMatchObject({
      id: "resp_abc",
      object: "response",
      created_at: 1763800001,
      status: "completed",
      model: "gpt-4o-mini",
      instructions: "Be nice.",
      output: [
        {
          id: "msg_abc",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [
            { type: "output_text", text: "Hello! How can I help you today?", annotations: [], logprobs: [] },
          ],
        },
      ],
      usage: {
        input_tokens: 19,
        output_tokens: 9,
        total_tokens: 28,
        input_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  test("a refusal → a message item whose part is the refusal, as OpenAI's Responses API says it", () => {
    const chat = {
      id: "chatcmpl-r",
      created: 1,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: null, refusal: "I'm sorry, I can't help with that." },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    };
    const response = chatResponseToResponse(chat, request, "resp_r");
    expect(response.status).toBe("completed");
    expect(response.output).toEqual([
      {
        id: "msg_r",
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "refusal", refusal: "I'm sorry, I can't help with that." }],
      },
    ]);
  });

  test("tool calls → function_call items; conversation items chain input then output", () => {
    const response = chatResponseToResponse(jsonFixture("openai/chat-tool-calls.json"), request, "resp_t");
    expect(response.output).toEqual([
      {
        id: "fc_t_0",
        type: "function_call",
        status: "completed",
        arguments: '{"location": "Paris, France", "unit": "celsius"}',
        call_id: "call_VwQ3Xj9yHk2LmN8pRt5sUa1b",
        name: "get_weather",
      },
      {
        id: "fc_t_1",
        type: "function_call",
        status: "completed",
        arguments: '{"location": "Tokyo, Japan", "unit": "celsius"}',
        call_id: "call_Zc7Df4Gh6Jk8Lm0Np2Qr4St6",
        name: "get_weather",
      },
    ]);
    const items = conversationItems(request, response);
    expect(items[0]).toEqual({ type: "message", role: "user", content: "Hi" });
    expect(items).toHaveLength(3);
  });

  test("the tokens' logprobs the chat answer carries → output_text.logprobs, alternatives included", () => {
    const response = chatResponseToResponse(jsonFixture("openai/chat-logprobs.json"), request, "resp_l");
    const [message] = response.output as { content: { logprobs: unknown }[] }[];
    expect(message?.content[0]?.logprobs).toEqual([
      {
        token: "Hello",
        logprob: -0.0002,
        bytes: [72, 101, 108, 108, 111],
        top_logprobs: [
          { token: "Hello", logprob: -0.0002, bytes: [72, 101, 108, 108, 111] },
          { token: "Hi", logprob: -8.75, bytes: [72, 105] },
        ],
      },
      {
        token: " there",
        logprob: -0.31,
        bytes: [32, 116, 104, 101, 114, 101],
        top_logprobs: [
          { token: " there", logprob: -0.31, bytes: [32, 116, 104, 101, 114, 101] },
          { token: "!", logprob: -1.42, bytes: [33] },
        ],
      },
    ]);
  });

  test("length → incomplete with max_output_tokens", () => {
    const chat = { id: "c", choices: [{ message: { content: "partial" }, finish_reason: "length" }] };
    const response = chatResponseToResponse(chat, request, "resp_x");
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });

  test("length in a tool call: the last call ends incomplete, as OpenAI marks an item cut short", () => {
    const call = (id: string, args: string) => ({
      id,
      type: "function",
      function: { name: "f", arguments: args },
    });
    const chat = {
      id: "c",
      choices: [
        {
          message: { content: "Patching.", tool_calls: [call("c1", "{}"), call("c2", '{"patch":"*** Be')] },
          finish_reason: "length",
        },
      ],
    };
    const response = chatResponseToResponse(chat, request, "resp_x");
    expect(
      (response.output as { type: string; status: string }[]).map((item) => [item.type, item.status]),
    ).toEqual([
      ["message", "completed"],
      ["function_call", "completed"],
      ["function_call", "incomplete"],
    ]);
    const text = chatResponseToResponse(
      { id: "c", choices: [{ message: { content: "partial" }, finish_reason: "length" }] },
      request,
      "resp_y",
    );
    expect((text.output as { status: string }[])[0]?.status).toBe("incomplete");
  });

  test("ids look like OpenAI's", () => {
    expect(newResponseId()).toMatch(/^resp_[0-9a-f]{48}$/);
  });

  test("a chat server's reasoning_content → a reasoning item before the message", () => {
    const response = chatResponseToResponse(
      {
        id: "c",
        choices: [{ message: { content: "42", reasoning_content: "6 × 7" }, finish_reason: "stop" }],
      },
      request,
      "resp_q",
    );
    expect((response.output as unknown[])[0]).toEqual({
      id: "rs_q",
      type: "reasoning",
      summary: [{ type: "summary_text", text: "6 × 7" }],
    });
  });
});

test("usage keeps the reasoning tokens a chat answer reports (Gemini, o-series)", () => {
  const usage = responsesUsage({
    prompt_tokens: 10,
    completion_tokens: 8,
    completion_tokens_details: { reasoning_tokens: 2 },
  });
  expect(usage).toMatchObject({ output_tokens: 8, output_tokens_details: { reasoning_tokens: 2 } });
  expect(responsesUsage({ prompt_tokens: 1, completion_tokens: 1 })).toMatchObject({
    output_tokens_details: { reasoning_tokens: 0 },
  });
});

describe("a whole answer of text, a call and more text keeps its order (as its stream does)", () => {
  const kinds = (response: JsonObject) =>
    (response.output as JsonObject[]).map((item) => `${item.type}#${item.id}`);
  const expected = ["message#msg_o", "function_call#fc_o_0", "message#msg_o_1"];

  test("from Gemini and Converse, through their translations to chat", () => {
    const gemini = geminiResponseToChat(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [{ text: "First." }, { functionCall: { name: "w", args: {} } }, { text: "Then." }],
            },
            finishReason: "STOP",
          },
        ],
      },
      "m",
      "c",
    );
    expect(kinds(chatResponseToResponse(gemini, request, "resp_o"))).toEqual(expected);
    const converse = converseResponseToChat(
      {
        output: {
          message: {
            role: "assistant",
            content: [
              { text: "First." },
              { toolUse: { toolUseId: "t1", name: "w", input: {} } },
              { text: "Then." },
            ],
          },
        },
        stopReason: "tool_use",
        usage: { inputTokens: 1, outputTokens: 1 },
      },
      "m",
      "c",
    );
    expect(kinds(chatResponseToResponse(converse, request, "resp_o"))).toEqual(expected);
  });

  test("a chat answer says its text first: one message, then the calls", () => {
    const chat = {
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "First.Then.",
            tool_calls: [{ id: "t1", type: "function", function: { name: "w", arguments: "{}" } }],
          },
          finish_reason: "tool_calls",
        },
      ],
    };
    expect(kinds(chatResponseToResponse(chat, request, "resp_o"))).toEqual(expected.slice(0, 2));
  });
});
