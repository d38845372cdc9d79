import { describe, expect, test } from "bun:test";
import { gatewayErrorOf } from "../../testing/gateway-error-of.ts";
import { CallerPaths, MESSAGES_FIELDS } from "../caller-paths.ts";
import { Dropped } from "../dropped.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat: tools", () => {
  test("a chat tool is named by its place among the caller's tools, which a server tool left out does not shift", () => {
    const paths = new CallerPaths(MESSAGES_FIELDS);
    const schema = { type: "object", properties: { q: { type: "string" } } };
    messagesRequestToChat(
      {
        model: "m",
        max_tokens: 100,
        messages: [{ role: "user", content: "hi" }],
        tools: [
          { type: "web_search_20250305", name: "web_search" },
          { name: "lookup", input_schema: schema, strict: false },
        ],
      },
      new Dropped("drop"),
      {},
      paths,
    );
    expect(
      ["tools[0].function.parameters", "tools.0.function.strict", "tools.0"].map(
        (path) => paths.resolve(path)?.path,
      ),
    ).toEqual(["tools.1.input_schema", "tools.1.strict", "tools.1"]);
  });

  test("tool_use → tool_calls and tool_result → tool messages, order kept", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 100,
      messages: [
        { role: "user", content: "Weather in Paris and Tokyo?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking both." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { location: "Paris" } },
            { type: "tool_use", id: "toolu_02", name: "get_weather", input: { location: "Tokyo" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01", content: "18°C" },
            {
              type: "tool_result",
              tool_use_id: "toolu_02",
              content: [{ type: "text", text: "timeout" }],
              is_error: true,
            },
            { type: "text", text: "Summarise." },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "user", content: "Weather in Paris and Tokyo?" },
      {
        role: "assistant",
        content: "Checking both.",
        tool_calls: [
          {
            id: "toolu_01",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Paris"}' },
          },
          {
            id: "toolu_02",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Tokyo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "toolu_01", content: "18°C" },
      { role: "tool", tool_call_id: "toolu_02", content: "Error: timeout" },
      { role: "user", content: "Summarise." },
    ]);
  });

  test("a tool_use id carrying Gemini's signature goes plain, unless the upstream reads it (a Gemini route)", () => {
    const signed = "call_abc__ts_AAAABBBBCCCCDDDD_-";
    const body = {
      model: "m",
      max_tokens: 10,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: signed, name: "w", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: signed, content: "18C" }] },
      ],
    };
    const ids = (chat: { messages?: unknown }) => {
      const [, call, result] = chat.messages as [
        unknown,
        { tool_calls: { id: string }[] },
        { tool_call_id: string },
      ];
      return [call.tool_calls[0]?.id, result.tool_call_id];
    };
    expect(ids(messagesRequestToChat(body))).toEqual(["call_abc", "call_abc"]);
    expect(ids(messagesRequestToChat(body, new Dropped(), { signedCallIds: true }))).toEqual([
      signed,
      signed,
    ]);
  });

  test("assistant turn with only tool_use has null content", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 5,
      messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }],
    });
    expect(chat.messages).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{}" } }],
      },
    ]);
  });

  test("tools and every tool_choice", () => {
    const tools = [
      {
        name: "get_weather",
        description: "Current weather",
        input_schema: {
          type: "object",
          properties: { location: { type: "string" } },
          required: ["location"],
        },
      },
    ];
    const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], tools };
    const auto = messagesRequestToChat({ ...base, tool_choice: { type: "auto" } });
    expect(auto.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather",
          parameters: {
            type: "object",
            properties: { location: { type: "string" } },
            required: ["location"],
          },
        },
      },
    ]);
    expect(auto.tool_choice).toBe("auto");
    expect(messagesRequestToChat({ ...base, tool_choice: { type: "any" } }).tool_choice).toBe("required");
    expect(messagesRequestToChat({ ...base, tool_choice: { type: "none" } }).tool_choice).toBe("none");
    const forced = messagesRequestToChat({
      ...base,
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    });
    expect(forced.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(forced.parallel_tool_calls).toBe(false);
    const unnamed = gatewayErrorOf(() => messagesRequestToChat({ ...base, tool_choice: { type: "tool" } }));
    expect([unnamed.status, unnamed.message, unnamed.param]).toEqual([
      400,
      "tool_choice.tool.name: Field required",
      "tool_choice.tool.name",
    ]);
  });

  test("a tool_choice with no function left to choose (Claude Code's web search: only a server tool) goes without, as does parallel_tool_calls", () => {
    // OpenAI: 400 "'tool_choice' is only allowed when 'tools' are specified" (LiteLLM #25477).
    const webSearch = { type: "web_search_20250305", name: "web_search", max_uses: 8 };
    const read = { name: "Read", input_schema: { type: "object", properties: {} } };
    const call = (tools: object[], tool_choice: object) => {
      const dropped = new Dropped();
      const chat = messagesRequestToChat(
        { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], tools, tool_choice },
        dropped,
      );
      return { fields: [chat.tools, chat.tool_choice, chat.parallel_tool_calls], dropped: dropped.list };
    };
    const forced = { type: "tool", name: "web_search" };
    expect(call([webSearch], forced)).toEqual({
      fields: [undefined, undefined, undefined],
      dropped: ["tools.web_search_20250305", "tool_choice"],
    });
    expect(call([webSearch], { type: "auto", disable_parallel_tool_use: true })).toEqual({
      fields: [undefined, undefined, undefined],
      dropped: ["tools.web_search_20250305"],
    });
    expect(call([], { type: "any" })).toEqual({
      fields: [undefined, undefined, undefined],
      dropped: ["tool_choice"],
    });
    // A function left to call, but not the one forced: OpenAI refuses a name it was not sent.
    const left = call([read, webSearch], forced);
    expect([left.fields[1], left.dropped]).toEqual([undefined, ["tools.web_search_20250305", "tool_choice"]]);
    expect(call([read, webSearch], { type: "any" }).fields[1]).toBe("required");
    expect(() =>
      messagesRequestToChat(
        { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], tool_choice: forced },
        new Dropped("reject"),
      ),
    ).toThrow("tool_choice");
  });

  test("a tool result's images follow its run of tool messages; what chat cannot carry is named", () => {
    const png = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(
      {
        model: "m",
        max_tokens: 5,
        messages: [
          { role: "user", content: "shoot" },
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "t1", name: "shot", input: {} },
              { type: "tool_use", id: "t2", name: "shot", input: {} },
            ],
          },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "t1",
                content: [
                  { type: "text", text: "here" },
                  { type: "image", source: png },
                  { type: "document", source: { type: "text", media_type: "text/plain", data: "d" } },
                ],
              },
              { type: "tool_result", tool_use_id: "t2", content: [{ type: "image", source: png }] },
              {
                type: "search_result",
                source: "https://x.test",
                title: "T",
                content: [{ type: "text", text: "fact" }],
              },
              { type: "mystery_block", payload: 1 },
            ],
          },
        ],
      },
      dropped,
    );
    const image = { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } };
    expect((chat.messages as unknown[]).slice(2)).toEqual([
      // A text document is text the model reads, with the result's own.
      { role: "tool", tool_call_id: "t1", content: "here\nd" },
      { role: "tool", tool_call_id: "t2", content: "(images: in the next message)" },
      {
        role: "user",
        content: [
          { type: "text", text: "Images from the result of tool call t1:" },
          image,
          { type: "text", text: "Images from the result of tool call t2:" },
          image,
          { type: "text", text: "Search result: T\nSource: https://x.test\n\nfact" },
        ],
      },
    ]);
    expect(dropped.list).toEqual(["content.mystery_block"]);
  });

  test("a tool's `strict` is carried as the function's", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      tools: [{ name: "t", strict: true, input_schema: { type: "object", additionalProperties: false } }],
    });
    expect(chat.tools).toEqual([
      {
        type: "function",
        function: { name: "t", parameters: { type: "object", additionalProperties: false }, strict: true },
      },
    ]);
  });

  test("a tool_use without its id or name, a tool_result without its tool_use_id, a text block without its text: a 400 in Anthropic's words", () => {
    const refusal = (turns: object[]) => {
      const error = gatewayErrorOf(() =>
        messagesRequestToChat({ model: "m", max_tokens: 5, messages: turns }),
      );
      return [error.status, error.message, error.param];
    };
    const asked = { role: "user", content: "shoot" };
    const call = { type: "tool_use", id: "t1", name: "shot", input: {} };
    expect(refusal([asked, { role: "assistant", content: [{ ...call, id: undefined }] }])).toEqual([
      400,
      "messages.1.content.0.tool_use.id: Field required",
      "messages.1.content.0.tool_use.id",
    ]);
    expect(refusal([asked, { role: "assistant", content: [{ ...call, name: 7 }] }])).toEqual([
      400,
      "messages.1.content.0.tool_use.name: Input should be a valid string",
      "messages.1.content.0.tool_use.name",
    ]);
    const answered = { role: "assistant", content: [call] };
    expect(
      refusal([asked, answered, { role: "user", content: [{ type: "tool_result", content: "x" }] }]),
    ).toEqual([
      400,
      "messages.2.content.0.tool_result.tool_use_id: Field required",
      "messages.2.content.0.tool_result.tool_use_id",
    ]);
    expect(refusal([{ role: "user", content: [{ type: "text", text: "a" }, { type: "text" }] }])).toEqual([
      400,
      "messages.0.content.1.text.text: Field required",
      "messages.0.content.1.text.text",
    ]);
    expect(refusal([asked, { role: "assistant", content: [{ type: "text", text: null }] }])).toEqual([
      400,
      "messages.1.content.0.text.text: Input should be a valid string",
      "messages.1.content.0.text.text",
    ]);
  });
  test("a tool_use whose input is no object, or without one, is a 400 in Anthropic's words, never its JSON text sent on", () => {
    const refusal = (input: unknown) => {
      const call = { type: "tool_use", id: "t1", name: "shot", input };
      const error = gatewayErrorOf(() =>
        messagesRequestToChat({
          model: "m",
          max_tokens: 5,
          messages: [
            { role: "user", content: "shoot" },
            { role: "assistant", content: [{ type: "text", text: "ok" }, call] },
          ],
        }),
      );
      return [error.status, error.message, error.param];
    };
    for (const input of ['{"a":1}', [1], null, 7])
      expect(refusal(input)).toEqual([
        400,
        "messages.1.content.1.tool_use.input: Input should be a valid dictionary",
        "messages.1.content.1.tool_use.input",
      ]);
    expect(refusal(undefined)).toEqual([
      400,
      "messages.1.content.1.tool_use.input: Field required",
      "messages.1.content.1.tool_use.input",
    ]);
  });
});
