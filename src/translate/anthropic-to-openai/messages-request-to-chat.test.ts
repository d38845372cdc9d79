import { describe, expect, test } from "bun:test";
import type { ReasoningEffort } from "openai/resources/shared";
import type { JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat", () => {
  test("system blocks, multi-turn, sampling, stop, user and streaming", () => {
    const chat = messagesRequestToChat({
      model: "llama-3.1-8b",
      max_tokens: 256,
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Answer in French.", cache_control: { type: "ephemeral" } },
      ],
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: [{ type: "text", text: "Bonjour" }] },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
      ],
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: "u-42" },
      stream: true,
    });
    expect(chat).toEqual({
      model: "llama-3.1-8b",
      max_completion_tokens: 256,
      messages: [
        { role: "system", content: "You are terse.\n\nAnswer in French." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Bonjour" },
        { role: "user", content: "Weather?" },
      ],
      stop: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      user: "u-42",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("max_tokens is sent as max_completion_tokens, which OpenAI's reasoning models require", () => {
    const chat = messagesRequestToChat({
      model: "gpt-5.4",
      max_tokens: 1024,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.max_completion_tokens).toBe(1024);
    expect(chat.max_tokens).toBeUndefined();
  });

  test("images become image_url parts (base64 as a data URL)", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 10,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: "Compare." },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          { type: "text", text: "Compare." },
        ],
      },
    ]);
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

  describe("thinking blocks of past turns", () => {
    // As Claude Code sends a conversation back: the thinking the gateway wrote from a chat
    // server's reasoning (unsigned), before the text or the tool call it led to.
    const call = { type: "tool_use", id: "call_1", name: "Bash", input: { command: "echo one" } };
    const conversation = {
      model: "deepseek-reasoner",
      max_tokens: 100,
      messages: [
        { role: "user", content: "run echo one" },
        {
          role: "assistant",
          content: [{ type: "thinking", thinking: "I need to run echo.", signature: "" }, call],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "one" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "It printed one.", signature: "" },
            { type: "text", text: "It printed one." },
          ],
        },
        { role: "user", content: "and now?" },
        // A tool call another route answered, with no thinking; and a turn of plain text.
        { role: "assistant", content: [call] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "one" }] },
        { role: "assistant", content: [{ type: "text", text: "Done." }] },
        { role: "user", content: "thanks" },
      ],
    };
    const assistants = (chat: JsonObject) =>
      (chat.messages as JsonObject[]).filter((message) => message.role === "assistant");

    test("go back as reasoning_content to an upstream that wants its reasoning back (DeepSeek's thinking mode)", () => {
      const sent = assistants(messagesRequestToChat(conversation, new Dropped(), { reasoningBack: true }));
      expect(sent.map((message) => message.reasoning_content)).toEqual([
        "I need to run echo.",
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
          { id: "call_1", type: "function", function: { name: "Bash", arguments: '{"command":"echo one"}' } },
        ],
      });
    });

    test("are left out for any other (OpenAI refuses a field it does not know), and named nowhere", () => {
      const dropped = new Dropped();
      const sent = assistants(messagesRequestToChat(conversation, dropped));
      expect(sent.every((message) => !("reasoning_content" in message))).toBe(true);
      expect(dropped.list).toEqual([]);
    });
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
  });

  test("bad requests are 400s naming the field", () => {
    const attempt = (body: Record<string, unknown>) => {
      try {
        messagesRequestToChat(body);
      } catch (error) {
        return error;
      }
    };
    const missing = attempt({ model: "m", messages: [] });
    expect(missing).toBeInstanceOf(GatewayError);
    expect((missing as GatewayError).status).toBe(400);
    expect((missing as GatewayError).message).toStartWith("max_tokens");
  });

  test("system turns inside messages stay system turns, in place (Claude Code sends them)", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 5,
      system: "Top.",
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: [{ type: "text", text: "Mid-conversation reminder." }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "text", text: "b" },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "system", content: "Top." },
      { role: "user", content: "a" },
      { role: "system", content: "Mid-conversation reminder." },
      { role: "assistant", content: "b" },
    ]);
  });

  test("every Anthropic effort, max included, is a reasoning_effort the OpenAI SDK lists", () => {
    // Typechecked against the installed SDK both ways: a level it drops or adds fails `tsc`.
    const openAILevels = {
      none: true,
      minimal: true,
      low: true,
      medium: true,
      high: true,
      xhigh: true,
      max: true,
    } satisfies Record<NonNullable<ReasoningEffort>, true>;
    for (const effort of ["low", "medium", "high", "max"]) {
      const chat = messagesRequestToChat({
        model: "m",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
        output_config: { effort },
      });
      expect(chat.reasoning_effort).toBe(effort);
      expect(Object.keys(openAILevels)).toContain(effort);
    }
  });

  test("thinking and output_config map to reasoning_effort and response_format", () => {
    const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] };
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "enabled", budget_tokens: 2000 } }).reasoning_effort,
    ).toBe("low");
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "enabled", budget_tokens: 32000 } })
        .reasoning_effort,
    ).toBe("high");
    expect(
      messagesRequestToChat({ ...base, thinking: { type: "adaptive" } }).reasoning_effort,
    ).toBeUndefined();
    const effort = messagesRequestToChat({
      ...base,
      thinking: { type: "adaptive" },
      output_config: { effort: "medium" },
    });
    expect(effort.reasoning_effort).toBe("medium");
    const format = messagesRequestToChat({
      ...base,
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
    });
    expect(format.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: { type: "object" }, strict: true },
    });
  });

  test("Anthropic-only fields and server tools are dropped and named, or refused", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
      top_k: 5,
      tools: [
        { name: "Read", input_schema: { type: "object" } },
        { type: "web_search_20250305", name: "web_search" },
      ],
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(dropped.list).toEqual(["context_management", "top_k", "tools.web_search_20250305"]);
    expect((chat.tools as unknown[]).length).toBe(1);
    expect(() => messagesRequestToChat(body, new Dropped("reject"))).toThrow("context_management");
  });

  test("every top-level field not carried is named, or refused; defaults and caching hints are not", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      speed: "fast",
      output_config: { effort: "low", task_budget: { type: "tokens", total: 1000 } },
      cache_control: { type: "ephemeral" },
      diagnostics: { previous_message_id: "msg_1" },
      some_beta_field: true,
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(dropped.list).toEqual(["speed", "diagnostics", "some_beta_field", "output_config.task_budget"]);
    expect(chat.reasoning_effort).toBe("low");
    expect([chat.speed, chat.cache_control, chat.diagnostics]).toEqual([undefined, undefined, undefined]);
    expect(() => messagesRequestToChat(body, new Dropped("reject"))).toThrow("speed");
    const quiet = new Dropped("reject");
    messagesRequestToChat(
      { ...body, speed: "standard", output_config: {}, diagnostics: null, some_beta_field: [] },
      quiet,
    );
    expect(quiet.list).toEqual([]);
  });

  test("service_tier: auto is OpenAI's auto, standard_only its default tier", () => {
    const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] };
    expect(messagesRequestToChat({ ...base, service_tier: "auto" }).service_tier).toBe("auto");
    expect(messagesRequestToChat({ ...base, service_tier: "standard_only" }).service_tier).toBe("default");
    const dropped = new Dropped();
    expect(
      messagesRequestToChat({ ...base, service_tier: "priority" }, dropped).service_tier,
    ).toBeUndefined();
    expect(dropped.list).toEqual(["service_tier"]);
  });

  test("the structured-outputs beta's output_format is carried as output_config.format is", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    const dropped = new Dropped("reject");
    const chat = messagesRequestToChat(
      {
        model: "m",
        max_tokens: 5,
        messages: [{ role: "user", content: "x" }],
        output_format: { type: "json_schema", schema },
      },
      dropped,
    );
    expect(chat.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: true },
    });
    expect(chat.output_format).toBeUndefined();
  });

  test("Claude Code 2.1.328's recorded request: effort, tools, system; beta-only fields named", () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as Record<string, unknown>;
    const dropped = new Dropped();
    const chat = messagesRequestToChat(recorded, dropped);
    expect(chat.reasoning_effort).toBe("medium");
    expect((chat.messages as { role: string }[])[0]?.role).toBe("system");
    expect((chat.tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toContain(
      "Bash",
    );
    expect(dropped.list).toEqual(["context_management"]);
    expect(chat.context_management).toBeUndefined();
  });

  test("Claude Code's metadata.user_id (a JSON object, ~150 characters) is sent as a 64-character digest OpenAI takes", () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as {
      metadata: { user_id: string };
    };
    expect(recorded.metadata.user_id.length).toBeGreaterThan(64);
    const user = messagesRequestToChat(recorded).user as string;
    expect(user).toMatch(/^[0-9a-f]{64}$/);
    // The same caller, the same user every time; another caller, another user.
    expect(messagesRequestToChat(recorded).user).toBe(user);
    const other = { ...recorded, metadata: { user_id: recorded.metadata.user_id.replace("1a0d", "2b1e") } };
    expect(messagesRequestToChat(other).user).not.toBe(user);
    // One OpenAI takes is sent as it is, up to its 64 characters.
    const sentAs = (userId: string) =>
      messagesRequestToChat({ ...recorded, metadata: { user_id: userId } }).user;
    expect(sentAs("u".repeat(64))).toBe("u".repeat(64));
    expect(sentAs("u".repeat(65))).toMatch(/^[0-9a-f]{64}$/);
  });

  test("an image with a base64 source missing its data is a 400 naming the field, as Anthropic says it", () => {
    const body = (source: object) => ({
      model: "m",
      max_tokens: 5,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "x" },
            { type: "image", source },
          ],
        },
      ],
    });
    const missing = (source: object) => {
      try {
        messagesRequestToChat(body(source));
      } catch (error) {
        return error instanceof GatewayError ? { status: error.status, message: error.message } : error;
      }
      return "translated";
    };
    expect(missing({ type: "base64", media_type: "image/png" })).toEqual({
      status: 400,
      message: "messages.0.content.1.image.source.base64.data: Field required",
    });
    expect(missing({ type: "base64", data: "iVBORw0KGgo=" })).toEqual({
      status: 400,
      message: "messages.0.content.1.image.source.base64.media_type: Field required",
    });
  });

  test("a Files API image cannot go to a chat upstream: dropped and named, or refused", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image", source: { type: "file", file_id: "file_abc" } },
          ],
        },
      ],
    };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body, dropped);
    expect(chat.messages).toEqual([{ role: "user", content: "what is this?" }]);
    expect(dropped.list).toEqual(["content.image.file"]);
    expect(() => messagesRequestToChat(body, new Dropped("reject"))).toThrow(
      "messages.0.content.1.source.type: content.image.file",
    );
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
      { role: "tool", tool_call_id: "t1", content: "here" },
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
    expect(dropped.list).toEqual(["content.document", "content.mystery_block"]);
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
});
