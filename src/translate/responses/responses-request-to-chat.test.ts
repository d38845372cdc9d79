import { describe, expect, test } from "bun:test";
import { applyPresetQuirks, OPENAI_PRESETS } from "../../providers/openai-compatible/presets.ts";
import { chatRequestToMessages } from "../openai-to-anthropic/chat-request-to-messages.ts";
import { chatResponseToResponse } from "./chat-response-to-response.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

describe("responsesRequestToChat", () => {
  test("string input, instructions, limits, streaming, json_schema format", () => {
    expect(
      responsesRequestToChat({
        model: "llama",
        input: "Hi",
        instructions: "Be terse.",
        max_output_tokens: 50,
        temperature: 0.3,
        stream: true,
        store: true,
        text: { format: { type: "json_schema", name: "r", schema: { type: "object" }, strict: true } },
      }).body,
    ).toEqual({
      model: "llama",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Hi" },
      ],
      max_completion_tokens: 50,
      temperature: 0.3,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: "json_schema",
        json_schema: { name: "r", schema: { type: "object" }, strict: true },
      },
    });
  });

  test("max_output_tokens is max_completion_tokens, as OpenAI's reasoning models require; every target reads it", () => {
    const { body } = responsesRequestToChat({ model: "gpt-5", input: "Hi", max_output_tokens: 40 });
    expect(body.max_completion_tokens).toBe(40);
    expect(body.max_tokens).toBeUndefined();
    // A server that only knows `max_tokens` gets it from its preset; Anthropic reads either.
    expect(applyPresetQuirks(OPENAI_PRESETS.ollama, body).max_tokens).toBe(40);
    expect(chatRequestToMessages(body).max_tokens).toBe(40);
  });

  test("previous items, parallel function calls and their outputs, function tools", () => {
    const previous = [
      { type: "message", role: "user", content: "Weather in Paris and Tokyo?" },
      {
        id: "fc_1_0",
        type: "function_call",
        call_id: "call_1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
        status: "completed",
      },
      {
        id: "fc_1_1",
        type: "function_call",
        call_id: "call_2",
        name: "get_weather",
        arguments: '{"city":"Tokyo"}',
        status: "completed",
      },
    ];
    const chat = responsesRequestToChat(
      {
        model: "m",
        previous_response_id: "resp_1",
        input: [
          { type: "function_call_output", call_id: "call_1", output: "18°C" },
          { type: "function_call_output", call_id: "call_2", output: "22°C" },
          { role: "user", content: [{ type: "input_text", text: "Warmer?" }] },
        ],
        tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: true }],
        tool_choice: { type: "function", name: "get_weather" },
      },
      previous,
    ).body;
    expect(chat.messages).toEqual([
      { role: "user", content: "Weather in Paris and Tokyo?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          {
            id: "call_2",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Tokyo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18°C" },
      { role: "tool", tool_call_id: "call_2", content: "22°C" },
      { role: "user", content: "Warmer?" },
    ]);
    expect(chat.tools).toEqual([
      { type: "function", function: { name: "get_weather", parameters: { type: "object" }, strict: true } },
    ]);
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
  });

  test("a call_id carrying Gemini's signature goes plain, unless the upstream reads it (a Gemini route)", () => {
    const signed = "call_abc__ts_AAAABBBBCCCCDDDD_-";
    const body = {
      model: "m",
      input: [
        { role: "user", content: "weather?" },
        { type: "function_call", call_id: signed, name: "w", arguments: "{}" },
        { type: "function_call_output", call_id: signed, output: "18C" },
      ],
    };
    const ids = (messages: unknown) => {
      const [, call, result] = messages as [
        unknown,
        { tool_calls: { id: string }[] },
        { tool_call_id: string },
      ];
      return [call.tool_calls[0]?.id, result.tool_call_id];
    };
    expect(ids(responsesRequestToChat(body).body.messages)).toEqual(["call_abc", "call_abc"]);
    const gemini = responsesRequestToChat(body, [], "drop", new Map(), { signedCallIds: true });
    expect(ids(gemini.body.messages)).toEqual([signed, signed]);
  });

  test("logprobs: asked for by top_logprobs, or by include's message.output_text.logprobs", () => {
    const logprobs = (extra: object) => {
      const { body } = responsesRequestToChat({ model: "m", input: "hi", ...extra });
      return [body.logprobs, body.top_logprobs];
    };
    expect(logprobs({ top_logprobs: 2 })).toEqual([true, 2]);
    expect(logprobs({ include: ["message.output_text.logprobs"] })).toEqual([true, undefined]);
    expect(logprobs({ include: ["reasoning.encrypted_content"] })).toEqual([undefined, undefined]);
  });

  test("a top-level field set to null is as good as absent, as the native API reads it", () => {
    const plain = responsesRequestToChat({ model: "m", input: "hi" });
    for (const field of ["user", "tools", "tool_choice", "text", "instructions", "reasoning", "stream"]) {
      const translated = responsesRequestToChat({ model: "m", input: "hi", [field]: null });
      expect([field, translated.body, translated.dropped]).toEqual([field, plain.body, []]);
    }
  });

  test("input null or absent with nothing to continue: OpenAI's 400 naming input; with a previous response it is none", () => {
    for (const body of [
      { model: "m", input: null },
      { model: "m" },
      { model: "m", instructions: "Be brief." },
    ]) {
      expect(() => responsesRequestToChat(body)).toThrow(
        expect.objectContaining({
          status: 400,
          param: "input",
          message: "Missing required parameter: 'input'.",
        }),
      );
    }
    const previous = [{ type: "message", role: "user", content: "hello" }];
    expect(responsesRequestToChat({ model: "m", input: null }, previous).body.messages).toEqual([
      { role: "user", content: "hello" },
    ]);
  });

  test("metadata is not sent to chat (OpenAI's refuses it without store: true), nor named: the response keeps it", () => {
    const request = { model: "m", input: "hi", metadata: { team: "a" } };
    const { body, dropped } = responsesRequestToChat(request);
    expect(body.metadata).toBeUndefined();
    expect(body.store).toBeUndefined();
    expect(dropped).toEqual([]);
    const answer = { id: "c", choices: [{ index: 0, message: { role: "assistant", content: "ok" } }] };
    expect(chatResponseToResponse(answer, request, "resp_1").metadata).toEqual({ team: "a" });
  });

  describe("fields chat can express are carried, not dropped", () => {
    const weather = { type: "function", name: "get_weather", parameters: { type: "object" } };
    const time = { type: "function", name: "get_time", parameters: { type: "object" } };

    test("allowed_tools: only the tools it allows are offered, its mode the tool_choice", () => {
      for (const mode of ["required", "auto"]) {
        const { body, dropped } = responsesRequestToChat({
          model: "m",
          input: "weather?",
          tools: [weather, time],
          tool_choice: { type: "allowed_tools", mode, tools: [{ type: "function", name: "get_weather" }] },
        });
        expect((body.tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toEqual([
          "get_weather",
        ]);
        expect([mode, body.tool_choice]).toEqual([mode, mode]);
        expect(dropped).toEqual([]);
      }
      // A namespaced tool is allowed by its name and namespace, as it is chosen.
      const namespaced = responsesRequestToChat({
        model: "m",
        input: "x",
        tools: [{ type: "namespace", name: "clock", tools: [time] }, weather],
        tool_choice: {
          type: "allowed_tools",
          mode: "required",
          tools: [{ type: "function", name: "get_time", namespace: "clock" }],
        },
      }).body;
      expect(namespaced.tools).toEqual([
        { type: "function", function: { name: "clock__get_time", parameters: { type: "object" } } },
      ]);
    });

    test("text.format.description goes into json_schema, as chat takes it", () => {
      const { body, dropped } = responsesRequestToChat({
        model: "m",
        input: "x",
        text: {
          format: { type: "json_schema", name: "r", description: "The answer.", schema: { type: "object" } },
        },
      });
      expect(body.response_format).toEqual({
        type: "json_schema",
        json_schema: { name: "r", description: "The answer.", schema: { type: "object" }, strict: false },
      });
      expect(dropped).toEqual([]);
    });

    test("reasoning.generate_summary, summary's deprecated name, is read as summary: named as sent", () => {
      const asked = (reasoning: object) =>
        responsesRequestToChat({ model: "m", input: "x", reasoning: { effort: "low", ...reasoning } })
          .dropped;
      expect(asked({ generate_summary: "concise" })).toEqual(["reasoning.generate_summary"]);
      expect(asked({ summary: "auto", generate_summary: "concise" })).toEqual(["reasoning.summary"]);
      expect(asked({ generate_summary: "none" })).toEqual([]);
    });
  });
});
