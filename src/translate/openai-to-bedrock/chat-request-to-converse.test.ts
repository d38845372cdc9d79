import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { messagesRequestToChat } from "../anthropic-to-openai/messages-request-to-chat.ts";
import { nameUncarried } from "../chat-target.ts";
import { Dropped } from "../dropped.ts";
import { CONVERSE_TARGET, chatRequestToConverse } from "./chat-request-to-converse.ts";

describe("chat request → Converse", () => {
  test("system turns, merged same-role turns, inference settings", () => {
    const out = chatRequestToConverse({
      model: "m",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "a" },
        { role: "user", content: [{ type: "text", text: "b" }] },
        { role: "developer", content: "and kind" },
      ],
      max_completion_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      stop: "END",
    });
    expect(out).toEqual({
      messages: [{ role: "user", content: [{ text: "a" }, { text: "b" }] }],
      system: [{ text: "be brief" }, { text: "and kind" }],
      inferenceConfig: { maxTokens: 50, temperature: 0.3, topP: 0.9, stopSequences: ["END"] },
    });
  });

  test("top_p 1 beside a temperature, which asks nothing, is not sent to Claude, whose 4.5 models refuse the pair; another family keeps it", () => {
    const body = (model: string, top_p: number) => ({
      model,
      messages: [{ role: "user", content: "a" }],
      temperature: 0.3,
      top_p,
    });
    const sampling = (model: string, top_p: number) =>
      chatRequestToConverse(body(model, top_p)).inferenceConfig;
    expect(sampling("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1)).toEqual({ temperature: 0.3 });
    expect(sampling("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 0.9)).toEqual({
      temperature: 0.3,
      topP: 0.9,
    });
    expect(sampling("meta.llama3-3-70b-instruct-v1:0", 1)).toEqual({ temperature: 0.3, topP: 1 });
    const { temperature: _none, ...alone } = body("anthropic.claude-haiku-4-5-20251001-v1:0", 1);
    expect(chatRequestToConverse(alone).inferenceConfig).toEqual({ topP: 1 });
  });

  test("blank text (empty or whitespace, which Converse refuses) is left out of messages and system; a tool result's is kept; a message left empty goes as an empty one does", () => {
    const out = chatRequestToConverse({
      tools: [{ type: "function" as const, function: { name: "look" } }],
      model: "m",
      messages: [
        { role: "system", content: "" },
        { role: "developer", content: " \n" },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "text", text: "  " },
          ],
        },
        {
          role: "assistant",
          content: "\n\n",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "" },
        { role: "user", content: "\t" },
        { role: "assistant", content: [{ type: "text", text: " " }] },
        { role: "user", content: "and now?" },
      ],
    });
    expect(out).toEqual({
      messages: [
        { role: "user", content: [{ image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "look", input: {} } }] },
        {
          role: "user",
          content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "" }] } }, { text: "and now?" }],
        },
      ],
      toolConfig: {
        tools: [{ toolSpec: { name: "look", inputSchema: { json: { type: "object", properties: {} } } } }],
      },
    });
  });

  test("with no tools declared, the history's calls and results go as text, which Converse takes without a toolConfig", () => {
    const out = chatRequestToConverse({
      model: "m",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "Looking.",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: "" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "tool", tool_call_id: "call_9", content: "?" },
      ],
    });
    expect(out).toEqual({
      messages: [
        { role: "user", content: [{ text: "weather?" }] },
        { role: "assistant", content: [{ text: "Looking." }, { text: "[called look with {}]" }] },
        { role: "user", content: [{ text: "[look returned: sunny]" }, { text: "[a tool returned: ?]" }] },
      ],
    });
  });

  test("a blank first user message, left out, that would open the conversation with the model's turn is the gateway's 400 naming it, not Bedrock's \"must start with a user message\"; one followed by another user message goes", () => {
    const refusal = (messages: object[]) => {
      try {
        chatRequestToConverse({ model: "m", messages });
      } catch (error) {
        if (error instanceof GatewayError) return [error.status, error.param, error.message];
        throw error;
      }
      return undefined;
    };
    const words =
      "the first user message has no text but blank (empty or whitespace), which Bedrock refuses; left out, the conversation would start with the assistant's turn, which Bedrock refuses too: give it some text";
    expect(
      refusal([
        { role: "system", content: "be brief" },
        { role: "user", content: " " },
        { role: "assistant", content: "Hello! How can I help?" },
        { role: "user", content: "hi" },
      ]),
    ).toEqual([400, "messages.1", `messages.1: ${words}`]);
    expect(refusal([{ role: "user", content: [{ type: "text", text: "" }] }])).toEqual([
      400,
      "messages.0",
      `messages.0: ${words}`,
    ]);
    expect(
      chatRequestToConverse({
        model: "m",
        messages: [
          { role: "user", content: "" },
          { role: "user", content: "hi" },
        ],
      }),
    ).toEqual({ messages: [{ role: "user", content: [{ text: "hi" }] }] });
  });

  test("tool calls and results round trip as toolUse / toolResult, tool choice mapped", () => {
    const out = chatRequestToConverse({
      model: "m",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "t1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "t1", content: "18C" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect(out.messages).toEqual([
      { role: "user", content: [{ text: "weather?" }] },
      {
        role: "assistant",
        content: [{ toolUse: { toolUseId: "t1", name: "get_weather", input: { city: "Paris" } } }],
      },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "18C" }] } }] },
    ]);
    expect(out.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }],
      toolChoice: { tool: { name: "get_weather" } },
    });
  });

  test("a tool-call id carrying Gemini's signature goes plain (Bedrock takes 64 characters at most)", () => {
    const signed = "call_abc__ts_AAAABBBBCCCCDDDD_-";
    const out = chatRequestToConverse({
      tools: [{ type: "function" as const, function: { name: "w" } }],
      model: "m",
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
    expect(out.messages).toMatchObject([
      {},
      { content: [{ toolUse: { toolUseId: "call_abc" } }] },
      { content: [{ toolResult: { toolUseId: "call_abc" } }] },
    ]);
  });

  test("images only as data URLs; anything else is the caller's 400 naming the part", () => {
    const image = (url: string) => ({
      model: "m",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
    });
    expect(chatRequestToConverse(image("data:image/png;base64,iVBORw0K")).messages).toEqual([
      { role: "user", content: [{ image: { format: "png", source: { bytes: "iVBORw0K" } } }] },
    ]);
    const error = (() => {
      try {
        chatRequestToConverse(image("https://example.com/cat.png"));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
    expect((error as GatewayError).param).toBe("messages.0.content.0");
  });

  test("a PDF (or another format Converse reads) is a document block named as Converse allows, each name once", () => {
    const file = (filename: string | undefined, media = "application/pdf") => ({
      type: "file",
      file: { ...(filename ? { filename } : {}), file_data: `data:${media};base64,JVBERi0=` },
    });
    const out = chatRequestToConverse({
      model: "m",
      messages: [
        {
          role: "user",
          content: [{ type: "text", text: "compare" }, file("q3_report.v2.pdf"), file(undefined)],
        },
        { role: "assistant", content: "ok" },
        { role: "user", content: [file("Q3 report v2.pdf"), file(undefined, "text/csv")] },
      ],
    });
    const document = (name: string, format = "pdf") => ({
      document: { format, name, source: { bytes: "JVBERi0=" } },
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [{ text: "compare" }, document("q3 report v2"), document("document")],
      },
      { role: "assistant", content: [{ text: "ok" }] },
      // Converse refuses a document without a text block beside it, and a name given twice.
      {
        role: "user",
        content: [
          document("Q3 report v2 (2)"),
          document("document (2)", "csv"),
          { text: "(see the attached document)" },
        ],
      },
    ]);
  });

  test("a file Converse cannot read is the caller's 400 naming the part", () => {
    const refused = (file_data: string) => {
      try {
        chatRequestToConverse({
          model: "m",
          messages: [{ role: "user", content: [{ type: "file", file: { filename: "a.bin", file_data } }] }],
        });
      } catch (e) {
        return e as GatewayError;
      }
    };
    const error = refused("data:application/zip;base64,UEs=");
    expect([error?.status, error?.param]).toEqual([400, "messages.0.content.0"]);
    expect(error?.message).toBe(
      "messages.0.content.0: this model takes files only as base64 data: URLs of pdf, csv, doc, docx, xls, xlsx, html, txt, md",
    );
    // A data: URL, not base64-encoded: said so, not that it is no data: URL.
    expect(refused("data:text/plain,hello")?.message).toBe(
      'messages.0.content.0: part "file" holds text/plain (a.bin) in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64',
    );
  });

  test("an image's detail has no place in Converse: named (or refused); a file by OpenAI id named and left out", () => {
    const body = {
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K", detail: "low" } },
            { type: "file", file: { file_id: "file-abc" } },
          ],
        },
      ],
    };
    const dropped = new Dropped();
    nameUncarried(body, CONVERSE_TARGET, dropped);
    expect(dropped.list).toEqual(["messages.content.image_url.detail", "messages.content.file.file_id"]);
    expect(chatRequestToConverse(body).messages).toEqual([
      {
        role: "user",
        content: [{ text: "look" }, { image: { format: "png", source: { bytes: "iVBORw0K" } } }],
      },
    ]);
    const refused = (() => {
      try {
        nameUncarried(body, CONVERSE_TARGET, new Dropped("reject"));
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "messages.0.content.1.image_url.detail"]);
  });

  test("response_format becomes a system instruction", () => {
    const out = chatRequestToConverse({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_object" },
    });
    expect(out.system).toEqual([{ text: "Respond with only a valid JSON object, with no other text." }]);
  });
});

describe("blank text files to Converse", () => {
  const file = (file_data: string, filename = "notes.txt") => ({
    type: "file",
    file: { filename, file_data },
  });
  const whitespace = `data:text/plain;base64,${Buffer.from(" \n ").toString("base64")}`;

  test("a text file of no text is left out as a blank text part is, as for Claude: Converse refuses an empty document", () => {
    const out = chatRequestToConverse({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            file("data:text/plain;base64,"),
            file(whitespace, "blank.md"),
            { type: "text", text: "what is missing?" },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([{ role: "user", content: [{ text: "what is missing?" }] }]);
  });

  test("a last user message left with nothing Bedrock can read is the caller's 400 naming it, not a conversation ending on the assistant's turn", () => {
    let refused: unknown;
    try {
      chatRequestToConverse({
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          { role: "user", content: [file(whitespace), { type: "text", text: " " }] },
        ],
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect([(refused as GatewayError).status, (refused as GatewayError).param]).toEqual([400, "messages.2"]);
    expect((refused as GatewayError).message).toStartWith("messages.2: no content Bedrock can read");
  });
});

describe("stop sequences to Converse", () => {
  test('an empty stop sequence, which OpenAI takes and Bedrock refuses (stopSequences: NonEmptyString), is left out and named "stop (empty)", or refused naming its place; whitespace goes as sent', () => {
    const body = (stop: string | string[]) => ({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stop,
    });
    const sent = (stop: string | string[]) => chatRequestToConverse(body(stop)).inferenceConfig;
    expect(sent(["END", "", "\n"])).toEqual({ stopSequences: ["END", "\n"] });
    expect(sent("")).toBeUndefined();
    expect(sent([""])).toBeUndefined();
    const dropped = new Dropped();
    nameUncarried(body(["END", "", "\n", ""]), CONVERSE_TARGET, dropped);
    expect(dropped.list).toEqual(["stop (empty)"]);
    const refusal = (stop: string | string[]) => {
      try {
        nameUncarried(body(stop), CONVERSE_TARGET, new Dropped("reject"));
      } catch (error) {
        return [(error as GatewayError).status, (error as GatewayError).param];
      }
      return undefined;
    };
    expect(refusal(["END", ""])).toEqual([400, "stop.1"]);
    expect(refusal("")).toEqual([400, "stop"]);
    expect(refusal(["END", "\n"])).toBeUndefined();
  });

  test("an Anthropic caller's stop sequences past the 2500 Converse takes (InferenceConfiguration.stopSequences) are left out and named, or refused naming stop_sequences.2500; 2500 all go", () => {
    const stops = (n: number) => Array.from({ length: n }, (_, k) => `S${k}`);
    const body = (stop_sequences: string[]) => ({
      model: "m",
      max_tokens: 5,
      stop_sequences,
      messages: [{ role: "user", content: "x" }],
    });
    const needs = { maxStops: CONVERSE_TARGET.maxStops };
    const dropped = new Dropped();
    const chat = messagesRequestToChat(body(stops(2501)), dropped, needs);
    const sent = chatRequestToConverse(chat).inferenceConfig as { stopSequences: string[] };
    expect(sent.stopSequences).toEqual(stops(2500));
    expect(dropped.list).toEqual(["stop_sequences (past 2500)"]);
    expect(messagesRequestToChat(body(stops(2500)), new Dropped("reject"), needs).stop).toHaveLength(2500);
    let refused: unknown;
    try {
      messagesRequestToChat(body(stops(2501)), new Dropped("reject"), needs);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect([(refused as GatewayError).status, (refused as GatewayError).param]).toEqual([
      400,
      "stop_sequences.2500",
    ]);
  });
});

describe("cache breakpoints → cachePoint", () => {
  const marked = (model: string) => ({
    model,
    messages: [
      {
        role: "system",
        content: [{ type: "text", text: "long rules", cache_control: { type: "ephemeral" } }],
      },
      {
        role: "user",
        content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral", ttl: "1h" } }],
      },
    ],
    tools: [
      {
        type: "function",
        function: { name: "f", parameters: { type: "object" } },
        cache_control: { type: "ephemeral" },
      },
    ],
  });
  const POINT = { cachePoint: { type: "default" } };

  test("Nova takes them in system and messages, not in tools; a breakpoint's ttl goes as the point's (CachePointBlock.ttl: 5m, 1h)", () => {
    const out = chatRequestToConverse(marked("us.amazon.nova-pro-v1:0"));
    expect(out.system).toEqual([{ text: "long rules" }, POINT]);
    expect(out.messages).toEqual([
      { role: "user", content: [{ text: "hi" }, { cachePoint: { type: "default", ttl: "1h" } }] },
    ]);
    expect(JSON.stringify(out.toolConfig)).not.toContain("cachePoint");
  });

  test("Claude before 3.5 Haiku and 3.7 Sonnet, which Bedrock's prompt caching does not serve, is sent none", () => {
    for (const model of [
      "anthropic.claude-3-haiku-20240307-v1:0",
      "anthropic.claude-3-5-sonnet-20240620-v1:0",
    ])
      expect(JSON.stringify(chatRequestToConverse(marked(model)))).not.toContain("cachePoint");
    const claude = chatRequestToConverse(marked("anthropic.claude-3-7-sonnet-20250219-v1:0"));
    expect((claude.toolConfig as { tools: unknown[] }).tools.at(-1)).toEqual(POINT);
  });

  test("a mark on an assistant's text part, or on one of its calls, puts the point right after that block, not after the turn's last", () => {
    const out = chatRequestToConverse({
      tools: [
        { type: "function" as const, function: { name: "weather" } },
        { type: "function" as const, function: { name: "time" } },
      ],
      model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Looking.", cache_control: { type: "ephemeral", ttl: "5m" } },
            { type: "text", text: " Then time." },
          ],
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } },
            {
              id: "call_2",
              type: "function",
              function: { name: "time", arguments: "{}" },
              cache_control: { type: "ephemeral" },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "tool", tool_call_id: "call_2", content: "noon" },
      ],
    });
    const [, assistant] = out.messages as Array<{ content: Array<Record<string, unknown>> }>;
    expect(assistant?.content.map((block) => Object.keys(block)[0])).toEqual([
      "text",
      "cachePoint",
      "text",
      "toolUse",
      "toolUse",
      "cachePoint",
    ]);
    expect(assistant?.content[1]).toEqual({ cachePoint: { type: "default", ttl: "5m" } });
    expect(assistant?.content.slice(0, 3)).toEqual([
      { text: "Looking." },
      { cachePoint: { type: "default", ttl: "5m" } },
      { text: " Then time." },
    ]);
  });
});
