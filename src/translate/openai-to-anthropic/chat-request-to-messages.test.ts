import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";
import { anthropicOutputLimit, UNKNOWN_MODEL_LIMIT } from "./output-limit.ts";

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

  test("tool calls and results; consecutive same-role turns merge", () => {
    const body = chatRequestToMessages({
      model: "m",
      messages: [
        { role: "user", content: "Weather in Paris and Tokyo?" },
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Paris"}' },
            },
            {
              id: "call_2",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Tokyo"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18°C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "22°C" }] },
        { role: "user", content: "Which is warmer?" },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Weather in Paris and Tokyo?" },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "get_weather", input: { location: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { location: "Tokyo" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18°C" },
          { type: "tool_result", tool_use_id: "call_2", content: "22°C" },
          { type: "text", text: "Which is warmer?" },
        ],
      },
    ]);
  });

  test("a tool-call id carrying Gemini's signature goes plain, tool_use and tool_result alike", () => {
    const signed = "call_abc__ts_AAAABBBBCCCCDDDD_-";
    const body = chatRequestToMessages({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: signed, type: "function", function: { name: "w", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: signed, content: "18C" },
      ],
    });
    expect(body.messages).toMatchObject([
      {},
      { content: [{ type: "tool_use", id: "call_abc" }] },
      { content: [{ type: "tool_result", tool_use_id: "call_abc" }] },
    ]);
  });

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

  test("a function's parameters without a type, which OpenAI takes as an object's, are given type object", () => {
    const tool = (parameters?: Record<string, unknown>, strict?: boolean) => ({
      type: "function",
      function: { name: "f", ...(parameters ? { parameters } : {}), ...(strict ? { strict } : {}) },
    });
    const schemas = (tools: unknown[]) =>
      (
        chatRequestToMessages({ model: "m", messages: [{ role: "user", content: "x" }], tools }).tools as {
          input_schema: unknown;
        }[]
      ).map((t) => t.input_schema);
    const city = { properties: { city: { type: "string" } }, required: ["city"] };
    expect(schemas([tool({}), tool(), tool(city), tool({ type: "object", ...city })])).toEqual([
      { type: "object" },
      { type: "object", properties: {} },
      { type: "object", ...city },
      { type: "object", ...city },
    ]);
    // A strict tool's too, before it is held to Anthropic's subset (an object of no properties goes as sent).
    expect(schemas([tool({}, true)])).toEqual([{ type: "object" }]);
  });

  test("tools (strict kept: Anthropic enforces it too), tool_choice and parallel_tool_calls", () => {
    const base = {
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [
        {
          type: "function",
          function: {
            name: "f",
            description: "does f",
            parameters: { type: "object", properties: {} },
            strict: true,
          },
        },
      ],
    };
    const body = chatRequestToMessages({ ...base, tool_choice: "required", parallel_tool_calls: false });
    expect(body.tools).toEqual([
      {
        name: "f",
        description: "does f",
        // Closed, as Anthropic requires of a strict tool's object (anthropic-enforced-schema.ts).
        input_schema: { type: "object", properties: {}, additionalProperties: false },
        strict: true,
      },
    ]);
    expect(body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(chatRequestToMessages({ ...base, tool_choice: "auto" }).tool_choice).toEqual({ type: "auto" });
    expect(chatRequestToMessages({ ...base, tool_choice: "none" }).tool_choice).toEqual({ type: "none" });
    expect(
      chatRequestToMessages({ ...base, tool_choice: { type: "function", function: { name: "f" } } })
        .tool_choice,
    ).toEqual({ type: "tool", name: "f" });
  });

  test("response_format json_schema becomes a system instruction", () => {
    const body = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
    });
    expect(body.system).toContain('{"type":"object"}');
  });

  test("a call that asks for audio is a 400 under every policy, not a text answer with modalities dropped", () => {
    const body = {
      model: "m",
      messages: [{ role: "user", content: "Say hi" }],
      modalities: ["text", "audio"],
      audio: { voice: "alloy", format: "wav" },
    };
    let refused: GatewayError | undefined;
    try {
      chatRequestToMessages(body, new Dropped("drop"));
    } catch (error) {
      refused = error as GatewayError;
    }
    expect([refused?.status, refused?.param, refused?.message]).toEqual([
      400,
      "modalities",
      'modalities: Anthropic answers in text only, and this call asks for audio; ask for ["text"], or call a model whose upstream answers in audio',
    ]);
    // Text alone asks for nothing beyond the default: not named.
    const dropped = new Dropped();
    chatRequestToMessages({ ...body, modalities: ["text"], audio: undefined }, dropped);
    expect(dropped.list).toEqual([]);
  });

  test("unsupported input is a 400", () => {
    const fail = (body: Record<string, unknown>) => {
      try {
        chatRequestToMessages(body);
      } catch (error) {
        return error as GatewayError;
      }
    };
    expect(fail({ model: "m", messages: [{ role: "user", content: "x" }], n: 2 })?.status).toBe(400);
    expect(fail({ model: "m", messages: [{ role: "tool", content: "x" }] })?.status).toBe(400);
    const audio = fail({ model: "m", messages: [{ role: "user", content: [{ type: "input_audio" }] }] });
    expect(audio?.param).toBe("messages.0.content.0");
    expect(fail({ messages: [] })?.message).toStartWith("model");
  });

  test("an image's detail, which Anthropic's image block has no place for, is named unless auto", () => {
    const image = (detail?: string) => ({
      type: "image_url",
      image_url: { url: "https://example.com/cat.png", ...(detail ? { detail } : {}) },
    });
    const body = (detail?: string) => ({
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, image(detail)] }],
    });
    for (const detail of [undefined, "auto"]) {
      const dropped = new Dropped();
      chatRequestToMessages(body(detail), dropped);
      expect(dropped.list).toEqual([]);
    }
    const dropped = new Dropped();
    const out = chatRequestToMessages(body("low"), dropped);
    expect(dropped.list).toEqual(["messages.content.image_url.detail"]);
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
        ],
      },
    ]);
    const refused = rejected(body("high"));
    expect(refused?.status).toBe(400);
    expect(refused?.param).toBe("messages.0.content.1.image_url.detail");
    expect(refused?.message).toContain("messages.content.image_url.detail");
  });

  test("a file's data: a PDF (a data: URL or its bare base64) and text (any text/*, as plain text, titled) are documents; any other a 400 saying what Claude takes", () => {
    const blocks = (file: Record<string, string>) =>
      (
        chatRequestToMessages({
          model: "m",
          messages: [{ role: "user", content: [{ type: "file", file }] }],
        }).messages as { content: unknown[] }[]
      )[0]?.content;
    const pdf = {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
    };
    expect(blocks({ filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" })).toEqual([pdf]);
    expect(blocks({ file_data: "JVBERi0=" })).toEqual([pdf]);
    const hello = Buffer.from("héllo\n").toString("base64");
    expect(blocks({ filename: "notes.md", file_data: `data:text/markdown;base64,${hello}` })).toEqual([
      {
        type: "document",
        source: { type: "text", media_type: "text/plain", data: "héllo\n" },
        title: "notes.md",
      },
    ]);
    expect(blocks({ file_data: `data:text/plain;base64,${hello}` })).toEqual([
      { type: "document", source: { type: "text", media_type: "text/plain", data: "héllo\n" } },
    ]);
    const refused = (file: Record<string, string>) => {
      try {
        blocks(file);
      } catch (error) {
        return [(error as GatewayError).param, (error as Error).message];
      }
    };
    const takes =
      "which this model cannot read: it takes a PDF (application/pdf) or text (text/plain, text/markdown, text/csv, … any text/*) as a data: URL in file_data";
    expect(refused({ filename: "a.zip", file_data: "data:application/zip;base64,UEs=" })).toEqual([
      "messages.0.content.0",
      `messages.0.content.0: part "file" holds application/zip (a.zip), ${takes}`,
    ]);
    expect(refused({ file_data: hello })).toEqual([
      "messages.0.content.0",
      `messages.0.content.0: part "file" holds file_data that is no data: URL nor a PDF's base64, ${takes}`,
    ]);
  });

  test("a text file of no text but whitespace, which Anthropic refuses as a document, is left out as an empty text part is", () => {
    const content = (file_data: string) =>
      (
        chatRequestToMessages({
          model: "m",
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "see" },
                { type: "file", file: { filename: "a.txt", file_data } },
              ],
            },
          ],
        }).messages as { content: unknown[] }[]
      )[0]?.content;
    // It went upstream as a document of "" (400 "text content blocks must be non-empty").
    for (const empty of ["data:text/plain;base64,", "data:text/plain,", "data:,", "data:text/csv,%20%0A"])
      expect(content(empty)).toEqual([{ type: "text", text: "see" }]);
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

  test("a data: URL's parameters are passed over; text not base64-encoded is read as written, anything else so is a 400 saying so", () => {
    const document = (file_data: string) =>
      (
        chatRequestToMessages({
          model: "m",
          messages: [{ role: "user", content: [{ type: "file", file: { file_data } }] }],
        }).messages as { content: JsonObject[] }[]
      )[0]?.content[0]?.source;
    const text = (data: string) => ({ type: "text", media_type: "text/plain", data });
    const hello = Buffer.from("héllo").toString("base64");
    expect(document(`data:text/plain;charset=utf-8;base64,${hello}`)).toEqual(text("héllo"));
    expect(document(`data:text/csv;header=present;charset=utf-8;base64,${hello}`)).toEqual(text("héllo"));
    expect(document("data:application/pdf;name=a.pdf;base64,JVBERi0=")).toEqual({
      type: "base64",
      media_type: "application/pdf",
      data: "JVBERi0=",
    });
    expect(document("data:text/plain,hello")).toEqual(text("hello"));
    expect(document("data:text/csv;charset=utf-8,a%2Cb%0A1%2C2")).toEqual(text("a,b\n1,2"));
    expect(document("data:,50% done")).toEqual(text("50% done"));
    // A stray "%" leaves itself as written, not the escapes around it.
    expect(document("data:text/plain,caf%C3%A9%20is%20100%")).toEqual(text("café is 100%"));
    expect(document("data:text/plain,100%%20sure,%20caf%C3%A9%ZZ")).toEqual(text("100% sure, café%ZZ"));
    // An escape that is no UTF-8 (a lone continuation byte) is U+FFFD, as a browser reads it, its neighbours decoded.
    expect(document("data:text/plain,a%20b%A9c%20d")).toEqual(text("a b\uFFFDc d"));
    // The charset named is the text's: Latin-1 (as WHATWG reads it, windows-1252) or ASCII, base64 or escaped.
    expect(document("data:text/plain;charset=iso-8859-1;base64,Y2Fm6Q==")).toEqual(text("café"));
    expect(document("data:text/plain;charset=ISO-8859-1,caf%E9%20%80")).toEqual(text("café €"));
    expect(document("data:text/plain;charset=us-ascii;base64,aGk=")).toEqual(text("hi"));
    // Quoted, as RFC 2045 lets a parameter's value be.
    expect(document('data:text/plain;charset="utf-8",caf%C3%A9')).toEqual(text("café"));
    expect(document('data:text/plain;charset="iso-8859-1";base64,Y2Fm6Q==')).toEqual(text("café"));
    // The escapes are bytes of the whole text, read once in its charset: Shift_JIS's "表" is 0x95 0x5C,
    // its second byte "\\" as written; a bare "%" is itself, beside an escape or at the end.
    expect(document("data:text/plain;charset=shift_jis,%95\\%8D%80")).toEqual(text("表項"));
    expect(document("data:text/plain;charset=shift_jis,100%%95\\%")).toEqual(text("100%表%"));
    // A file as large as a body may be is decoded whole (a few megabytes of escapes and letters alike).
    expect(document(`data:text/plain,${"a%41".repeat(1_000_000)}`)).toEqual(text("aA".repeat(1_000_000)));
    // A data: URL naming no type is text only as the URL's own form: base64 may be anything (a PDF's).
    expect(document("data:;base64,JVBERi0=")).toEqual({
      type: "base64",
      media_type: "application/pdf",
      data: "JVBERi0=",
    });
    let refused: GatewayError | undefined;
    try {
      document("data:application/pdf,%25PDF-1.7");
    } catch (error) {
      refused = error as GatewayError;
    }
    expect([refused?.param, refused?.message]).toEqual([
      "messages.0.content.0",
      'messages.0.content.0: part "file" holds application/pdf in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64',
    ]);
    const refusedFor = (file_data: string) => {
      try {
        document(file_data);
      } catch (error) {
        return (error as GatewayError).message;
      }
    };
    expect(refusedFor(`data:;base64,${hello}`)).toBe(
      'messages.0.content.0: part "file" holds a data: URL that names no media type, which this model cannot read: it takes a PDF (application/pdf) or text (text/plain, text/markdown, text/csv, … any text/*) as a data: URL in file_data',
    );
    expect(refusedFor("data:text/plain;charset=x-klingon,hi")).toBe(
      'messages.0.content.0: part "file" holds text in charset x-klingon, which the gateway cannot read: send it as UTF-8',
    );
  });

  test("a file by OpenAI file id, which Anthropic cannot read, is dropped and named, or refused", () => {
    const body = {
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise this." },
            { type: "file", file: { file_id: "file-abc" } },
          ],
        },
      ],
    };
    const dropped = new Dropped();
    const out = chatRequestToMessages(body, dropped);
    expect(dropped.list).toEqual(["messages.content.file.file_id"]);
    expect(out.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Summarise this." }] }]);
    const refused = rejected(body);
    expect(refused?.status).toBe(400);
    expect(refused?.param).toBe("messages.0.content.1.file.file_id");
    expect(refused?.message).toContain("OpenAI Files API id");
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

  test("reasoning_effort and a json_schema format become output_config", () => {
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      reasoning_effort: "minimal",
      response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
    });
    // An object that names no properties goes as sent: closed, the model could answer only `{}`.
    expect(out.output_config).toEqual({
      effort: "low",
      format: { type: "json_schema", schema: { type: "object" } },
    });
  });

  // zod v4's `z.object({ name: z.string().min(1), age: z.number().int().min(0).max(150) })`, as the
  // OpenAI SDK's parse helpers, the AI SDK, LangChain and the Agents SDK send it.
  const PERSON = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      age: { type: "integer", minimum: 0, maximum: 150 },
      tags: { type: "array", items: { type: "string", format: "hostname" }, minItems: 2 },
      pet: { oneOf: [{ type: "object", properties: { kind: { type: "string" } } }, { type: "null" }] },
    },
    required: ["name", "age", "tags", "pet"],
    additionalProperties: false,
  };
  const ANTHROPIC_PERSON = {
    type: "object",
    properties: {
      name: { type: "string", description: "{minLength: 1}" },
      age: { type: "integer", description: "{minimum: 0, maximum: 150}" },
      tags: { type: "array", items: { type: "string", format: "hostname" }, description: "{minItems: 2}" },
      pet: {
        anyOf: [
          { type: "object", properties: { kind: { type: "string" } }, additionalProperties: false },
          { type: "null" },
        ],
      },
    },
    additionalProperties: false,
    required: ["name", "age", "tags", "pet"],
  };

  test("a json_schema format is held to what Anthropic enforces, strict or not: bounds said in descriptions, objects closed", () => {
    for (const strict of [true, false, undefined]) {
      const out = chatRequestToMessages({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict } },
      });
      expect(out.output_config).toEqual({ format: { type: "json_schema", schema: ANTHROPIC_PERSON } });
      // The model still reads the schema as sent, bounds and all.
      expect(out.system).toContain(JSON.stringify(PERSON));
    }
  });

  test("a strict tool's parameters are held to Anthropic's subset; a tool that is not strict goes as sent", () => {
    const tool = (strict: boolean) => ({
      type: "function",
      function: { name: "f", parameters: PERSON, strict },
    });
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [tool(true), tool(false)],
    });
    expect(out.tools).toEqual([
      { name: "f", input_schema: ANTHROPIC_PERSON, strict: true },
      { name: "f", input_schema: PERSON },
    ]);
  });

  test("a schema the subset cannot say (a property of any type) goes as sent, for Anthropic to refuse", () => {
    const loose = { type: "object", properties: { anything: {} } };
    const out = chatRequestToMessages({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_schema", json_schema: { name: "r", schema: loose } },
    });
    expect(out.output_config).toEqual({ format: { type: "json_schema", schema: loose } });
  });
});

/** The 400 a request is under `translation.unsupported: reject`, if it is refused. */
function rejected(body: Record<string, unknown>): GatewayError | undefined {
  try {
    chatRequestToMessages(body, new Dropped("reject"));
  } catch (error) {
    return error as GatewayError;
  }
}
