import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { chatRequestToMessages } from "../openai-to-anthropic/chat-request-to-messages.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

describe("responsesRequestToChat: images and files", () => {
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

  test("a refusal sent back is the assistant's text: every chat server (and an Anthropic route) reads it", () => {
    const chat = responsesRequestToChat({
      model: "m",
      input: [
        { role: "user", content: "Do the bad thing." },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "refusal", refusal: "I'm sorry, I can't help with that." }],
        },
        { role: "user", content: "Then something else." },
      ],
    }).body;
    expect(chat.messages).toEqual([
      { role: "user", content: "Do the bad thing." },
      { role: "assistant", content: "I'm sorry, I can't help with that." },
      { role: "user", content: "Then something else." },
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
    // To an upstream that fetches a file by URL (Gemini's fileData), it goes as one.
    const byUrl = { type: "input_file", filename: "a.pdf", file_url: "https://x/a.pdf" };
    const toGemini = responsesRequestToChat(
      { model: "m", input: [{ role: "user", content: [{ type: "input_text", text: "read" }, byUrl] }] },
      [],
      "drop",
      new Map(),
      { fileUrls: true },
    );
    expect((toGemini.body.messages as { content: unknown[] }[])[0]?.content[1]).toEqual({
      type: "file",
      file: { filename: "a.pdf", file_url: "https://x/a.pdf" },
    });
    expect(toGemini.dropped).toEqual([]);
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
    // A text file reaches Claude as its text (chat-request-to-messages.ts).
    const text = responsesRequestToChat({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_file", filename: "notes.txt", file_data: "data:text/plain;base64,aGVsbG8=" },
          ],
        },
      ],
    });
    expect(chatRequestToMessages(text.body).messages).toEqual([
      {
        role: "user",
        content: [
          {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: "hello" },
            title: "notes.txt",
          },
        ],
      },
    ]);
  });

  test("an image or file part that says nothing of where it is: a 400 saying what it lacks, not that the model cannot take it", () => {
    const refusal = (part: object) => {
      try {
        responsesRequestToChat({
          model: "m",
          input: [{ role: "user", content: [{ type: "input_text", text: "x" }, part] }],
        });
      } catch (error) {
        return error instanceof GatewayError ? [error.status, error.param, error.message] : error;
      }
      return "translated";
    };
    const lacking = (type: string, needs: string) => [
      400,
      "input[0].content[1]",
      `input[0].content[1]: an ${type} part needs ${needs}`,
    ];
    expect(refusal({ type: "input_image" })).toEqual(lacking("input_image", "image_url or file_id"));
    expect(refusal({ type: "input_image", image_url: null, detail: "auto" })).toEqual(
      lacking("input_image", "image_url or file_id"),
    );
    expect(refusal({ type: "input_file" })).toEqual(lacking("input_file", "file_data, file_id or file_url"));
    expect(refusal({ type: "input_audio" })).toEqual([
      400,
      "input[0].content[1]",
      'input[0].content[1]: part "input_audio" is not supported on this model',
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
});
