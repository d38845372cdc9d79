import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { applyPresetQuirks, OPENAI_PRESETS } from "../../providers/openai-compatible/presets.ts";
import { chatRequestToMessages } from "../openai-to-anthropic/chat-request-to-messages.ts";
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

  test("assistant output items and images", () => {
    const chat = responsesRequestToChat({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is it?" },
            { type: "input_image", image_url: "https://x/cat.png" },
          ],
        },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "A cat.", annotations: [] }],
        },
      ],
    }).body;
    expect(chat.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is it?" },
          { type: "image_url", image_url: { url: "https://x/cat.png" } },
        ],
      },
      { role: "assistant", content: "A cat." },
    ]);
  });

  test("input_file: a PDF's data or an OpenAI file id is a chat file part (a document for Anthropic); a file URL is named", () => {
    const pdf = "data:application/pdf;base64,JVBERi0=";
    const translated = responsesRequestToChat({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "read" },
            { type: "input_file", filename: "a.pdf", file_data: pdf },
            { type: "input_file", file_id: "file-1" },
            { type: "input_file", file_url: "https://x/a.pdf" },
            { type: "input_image", image_url: "https://x/cat.png", detail: "low" },
          ],
        },
      ],
    });
    expect(translated.body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "read" },
          { type: "file", file: { filename: "a.pdf", file_data: pdf } },
          { type: "file", file: { file_id: "file-1" } },
          { type: "image_url", image_url: { url: "https://x/cat.png", detail: "low" } },
        ],
      },
    ]);
    expect(translated.dropped).toEqual(["content.input_file.file_url"]);
    const onlyPdf = responsesRequestToChat({
      model: "m",
      input: [{ role: "user", content: [{ type: "input_file", filename: "a.pdf", file_data: pdf }] }],
    });
    expect(chatRequestToMessages(onlyPdf.body).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
        ],
      },
    ]);
  });

  test("images a tool returned follow the run of tool messages in a user message, behind a line naming the call", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const shot = { type: "input_image", image_url: png };
    const messages = (input: unknown[]) =>
      responsesRequestToChat({ model: "m", input, tools: [{ type: "function", name: "shot" }] }).body
        .messages;
    const calls = [
      { type: "function_call", call_id: "c1", name: "shot", arguments: "{}" },
      { type: "function_call", call_id: "c2", name: "shot", arguments: "{}" },
    ];
    const toolCalls = {
      role: "assistant",
      content: null,
      tool_calls: ["c1", "c2"].map((id) => ({
        id,
        type: "function",
        function: { name: "shot", arguments: "{}" },
      })),
    };
    expect(
      messages([
        ...calls,
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "here" }, shot] },
        { type: "function_call_output", call_id: "c2", output: [shot] },
        { role: "user", content: "next" },
      ]),
    ).toEqual([
      toolCalls,
      { role: "tool", tool_call_id: "c1", content: "here" },
      { role: "tool", tool_call_id: "c2", content: "(images: in the next message)" },
      {
        role: "user",
        content: [
          { type: "text", text: "Images from the result of tool call c1:" },
          { type: "image_url", image_url: { url: png } },
          { type: "text", text: "Images from the result of tool call c2:" },
          { type: "image_url", image_url: { url: png } },
        ],
      },
      { role: "user", content: "next" },
    ]);
    // At the end of the input too; a file a tool returned has no place and is named.
    const last = responsesRequestToChat({
      model: "m",
      input: [
        calls[0],
        {
          type: "function_call_output",
          call_id: "c1",
          output: [
            shot,
            { type: "input_file", filename: "r.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
          ],
        },
      ],
    });
    expect((last.body.messages as unknown[]).at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: "Images from the result of tool call c1:" },
        { type: "image_url", image_url: { url: png } },
      ],
    });
    expect(last.dropped).toEqual(["output.input_file"]);
  });

  describe("reasoning items of past turns (Codex echoes them back)", () => {
    const shell = (callId: string) => ({
      type: "function_call",
      call_id: callId,
      name: "shell",
      arguments: '{"command":["echo","one"]}',
    });
    const output = (callId: string) => ({ type: "function_call_output", call_id: callId, output: "one" });
    // The first turns come from the stored chain, the rest from the request's input.
    const previous = [
      { type: "message", role: "user", content: "run echo one" },
      // As the gateway writes a chat upstream's reasoning, and Codex echoes it back.
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "I need to run echo." }],
        content: null,
        encrypted_content: null,
      },
      shell("call_1"),
      output("call_1"),
    ];
    const input = [
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "A summary." }],
        content: [{ type: "reasoning_text", text: "It printed one." }],
      },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "It printed one." }] },
      { type: "message", role: "user", content: "and now?" },
      // A tool call another route answered, with no reasoning; and a turn of plain text.
      shell("call_2"),
      output("call_2"),
      { type: "message", role: "assistant", content: "Done." },
      { type: "message", role: "user", content: "thanks" },
    ];
    const assistants = (chat: JsonObject) =>
      (chat.messages as JsonObject[]).filter((message) => message.role === "assistant");

    test("go back as reasoning_content on the next assistant message to an upstream that wants them (DeepSeek's thinking mode)", () => {
      const translated = responsesRequestToChat({ model: "m", input }, previous, "drop", new Map(), {
        reasoningBack: true,
      });
      const sent = assistants(translated.body);
      expect(sent.map((message) => message.reasoning_content)).toEqual([
        "I need to run echo.",
        // The reasoning itself, where the item has it, rather than its summary.
        "It printed one.",
        // DeepSeek refuses a tool-call turn without the field, whoever answered it.
        "",
        undefined,
      ]);
      expect(sent[0]).toEqual({
        role: "assistant",
        content: null,
        reasoning_content: "I need to run echo.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "shell", arguments: '{"command":["echo","one"]}' },
          },
        ],
      });
      expect(translated.dropped).toEqual([]);
    });

    test("are left out for any other upstream (OpenAI refuses a field it does not know), and named nowhere", () => {
      const translated = responsesRequestToChat({ model: "m", input }, previous);
      expect(assistants(translated.body).every((message) => !("reasoning_content" in message))).toBe(true);
      expect(translated.dropped).toEqual([]);
    });
  });

  test("hosted tools and unknown items: dropped and named, or a 400 naming them with reject", () => {
    const body = {
      model: "m",
      input: [
        { type: "item_reference", id: "x" },
        { type: "reasoning", encrypted_content: "gAAA", summary: [] },
        "hi",
      ].map((item) => (typeof item === "string" ? { role: "user", content: item } : item)),
      tools: [{ type: "web_search" }, { type: "function", name: "f" }],
    };
    const dropped = responsesRequestToChat(body);
    expect(dropped.dropped).toEqual(["tools.web_search", "input.item_reference"]);
    expect(dropped.body.messages).toEqual([{ role: "user", content: "hi" }]);
    expect((dropped.body.tools as unknown[]).length).toBe(1);
    const fail = (policy: "reject") => {
      try {
        responsesRequestToChat(body, [], policy);
      } catch (error) {
        return error as GatewayError;
      }
    };
    expect(fail("reject")?.status).toBe(400);
    expect(fail("reject")?.message).toContain("tools[0].type: tools.web_search");
  });

  test("a field the translation does not read is named, or refused under reject; what it reads or needs not is silent", () => {
    const body = {
      model: "m",
      input: "hi",
      prompt: { id: "pmpt_1", variables: { city: "Paris" } },
      max_tool_calls: 1,
      store: true,
      include: ["reasoning.encrypted_content"],
      stream_options: { include_obfuscation: false },
      client_metadata: { session_id: "s" },
      context_management: [{ type: "compaction", compact_threshold: 1000 }],
      moderation: { model: "omni-moderation-latest" },
      image: { context_compression: "disabled" },
      access_programs: { cyber: "standard" },
      x_unknown: 1,
      prompt_cache_retention: "24h",
      prompt_cache_options: { ttl: "12h" },
    };
    const translated = responsesRequestToChat(body);
    expect(translated.dropped).toEqual([
      "prompt",
      "max_tool_calls",
      "context_management",
      "moderation",
      "image",
      "access_programs",
      "x_unknown",
    ]);
    expect(translated.body).toMatchObject({
      prompt_cache_retention: "24h",
      prompt_cache_options: { ttl: "12h" },
    });
    // Unset, or set to what asks for nothing: not named.
    const quiet = {
      model: "m",
      input: "hi",
      moderation: null,
      image: { context_compression: "auto" },
      prompt: {},
    };
    expect(responsesRequestToChat(quiet).dropped).toEqual([]);
    const refused = (() => {
      try {
        responsesRequestToChat({ model: "m", input: "hi", max_tool_calls: 1 }, [], "reject");
      } catch (error) {
        return error as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "max_tool_calls"]);
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

  test("conversation: a 400 whatever the policy, since its history cannot be read here", () => {
    const error = (() => {
      try {
        responsesRequestToChat({ model: "m", input: "hi", conversation: "conv_123" });
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect([error?.status, error?.param]).toEqual([400, "conversation"]);
    expect(error?.message).toContain("previous_response_id");
    expect(responsesRequestToChat({ model: "m", input: "hi", conversation: null }).dropped).toEqual([]);
  });

  test("input items are checked in the Responses API's own terms before translation", () => {
    const param = (input: unknown[]) => {
      try {
        responsesRequestToChat({ model: "m", input });
      } catch (error) {
        return [(error as GatewayError).status, (error as GatewayError).param, (error as Error).message];
      }
      throw new Error("not refused");
    };
    expect(param([{ type: "function_call_output" }])).toEqual([
      400,
      "input[0].call_id",
      "Missing required parameter: 'input[0].call_id'.",
    ]);
    expect(param(["x", { type: "function_call_output", call_id: "c" }].map(asItem))[1]).toBe(
      "input[1].output",
    );
    expect(param([{ type: "function_call_output", call_id: "", output: "x" }])[1]).toBe("input[0].call_id");
    expect(param([{ type: "function_call", call_id: "c", arguments: "{}" }])[1]).toBe("input[0].name");
    expect(param([{ type: "custom_tool_call", call_id: "c", name: "n" }])[1]).toBe("input[0].input");
    expect(param([{ type: "message", content: "no role" }])[1]).toBe("input[0].role");
    expect(param([{ role: "robot", content: "x" }])[1]).toBe("input[0].role");
    expect(param([{ role: "user", content: [{ type: "input_audio" }] }])[1]).toBe("input[0].content[0]");
  });

  test("an item of the stored chain is named by previous_response_id, the request's own by input[n]", () => {
    const refused = (previous: JsonObject[]) => {
      try {
        responsesRequestToChat(
          { model: "m", input: [{ type: "web_search_call", id: "y" }] },
          previous,
          "reject",
        );
      } catch (error) {
        return error as GatewayError;
      }
    };
    expect(refused([{ type: "web_search_call", id: "x" }])?.param).toBe("previous_response_id.type");
    expect(refused([])?.param).toBe("input[0].type");
  });

  test("item_reference: the item a stored response of the caller holds stands in for it; one not found is named", () => {
    const referenced = new Map<string, JsonObject>([
      ["rs_abc", { id: "rs_abc", type: "reasoning", summary: [] }],
      [
        "msg_abc",
        {
          id: "msg_abc",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Let me look.", annotations: [], logprobs: [] }],
        },
      ],
      [
        "fc_abc_0",
        {
          id: "fc_abc_0",
          type: "function_call",
          status: "completed",
          call_id: "c1",
          name: "f",
          arguments: "{}",
        },
      ],
    ]);
    const input = [
      { role: "user", content: "Weather?" },
      ...["rs_abc", "msg_abc", "fc_abc_0"].map((id) => ({ type: "item_reference", id })),
      { type: "function_call_output", call_id: "c1", output: "sun" },
    ];
    const translated = responsesRequestToChat({ model: "m", input }, [], "reject", referenced);
    expect(translated.body.messages).toEqual([
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: "Let me look.",
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "sun" },
    ]);
    expect(translated.dropped).toEqual([]);
    const gone = { model: "m", input: [{ type: "item_reference", id: "msg_gone" }] };
    expect(responsesRequestToChat(gone, [], "drop", referenced).dropped).toEqual(["input.item_reference"]);
    const refused = (() => {
      try {
        responsesRequestToChat(gone, [], "reject", referenced);
      } catch (error) {
        return error as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "input[0].id"]);
    expect(refused?.message).toContain('"msg_gone"');
  });
});

const asItem = (item: unknown) => (typeof item === "string" ? { role: "user", content: item } : item);
