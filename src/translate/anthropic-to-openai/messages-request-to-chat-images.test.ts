import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat: images", () => {
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
    expect(missing({ type: "url" })).toEqual({
      status: 400,
      message: "messages.0.content.1.image.source.url.url: Field required",
    });
    expect(missing({ media_type: "image/png", data: "iVBORw0KGgo=" })).toEqual({
      status: 400,
      message: "messages.0.content.1.image.source: Unable to extract tag using discriminator 'type'",
    });
    expect(missing({ type: "bytes" })).toEqual({
      status: 400,
      message:
        "messages.0.content.1.image.source: Input tag 'bytes' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'",
    });
  });

  test("an image without a source (none, or null) is a 400 naming it, as Anthropic says it: never left out unnamed", () => {
    for (const image of [{ type: "image" }, { type: "image", source: null }]) {
      const refusal = (() => {
        try {
          messagesRequestToChat({
            model: "m",
            max_tokens: 5,
            messages: [{ role: "user", content: [{ type: "text", text: "x" }, image] }],
          });
        } catch (error) {
          return error instanceof GatewayError ? [error.status, error.param, error.message] : error;
        }
        return "translated";
      })();
      expect(refusal).toEqual([
        400,
        "messages.0.content.1.image.source",
        "messages.0.content.1.image.source: Field required",
      ]);
    }
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
});

describe("messagesRequestToChat: documents", () => {
  const PDF = "JVBERi0xLjQK";
  const ask = (document: object, extra: object[] = []) => ({
    model: "m",
    max_tokens: 5,
    messages: [{ role: "user", content: [document, ...extra, { type: "text", text: "summarise this" }] }],
  });
  const partsOf = (chat: JsonObject) => (chat.messages as { content: unknown }[])[0]?.content;

  test("a PDF in base64 is a chat file part, its title the filename (OpenAI's chat API wants one), nothing dropped", () => {
    const dropped = new Dropped();
    const titled = messagesRequestToChat(
      ask({
        type: "document",
        title: "Q3 report",
        source: { type: "base64", media_type: "application/pdf", data: PDF },
      }),
      dropped,
    );
    expect(partsOf(titled)).toEqual([
      { type: "file", file: { filename: "Q3 report", file_data: `data:application/pdf;base64,${PDF}` } },
      { type: "text", text: "summarise this" },
    ]);
    expect(dropped.list).toEqual([]);
    const untitled = messagesRequestToChat(
      ask({ type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF } }),
    );
    expect(partsOf(untitled)).toMatchObject([{ type: "file", file: { filename: "document.pdf" } }, {}]);
  });

  test("plain text and custom content are what the model reads: text (and images) behind their title and context; citations named", () => {
    const dropped = new Dropped();
    const chat = messagesRequestToChat(
      ask(
        {
          type: "document",
          title: "Notes",
          context: "from the wiki",
          citations: { enabled: true },
          source: { type: "text", media_type: "text/plain", data: "The sky is blue." },
        },
        [
          {
            type: "document",
            source: {
              type: "content",
              content: [
                { type: "text", text: "page one" },
                { type: "image", source: { type: "url", url: "https://x.test/fig.png" } },
              ],
            },
          },
        ],
      ),
      dropped,
    );
    expect(partsOf(chat)).toEqual([
      { type: "text", text: "Document: Notes\nContext: from the wiki\n\nThe sky is blue." },
      { type: "text", text: "page one" },
      { type: "image_url", image_url: { url: "https://x.test/fig.png" } },
      { type: "text", text: "summarise this" },
    ]);
    expect(dropped.list).toEqual(["content.document.citations"]);
  });

  test("a PDF by URL: a file part by URL for an upstream that fetches one (Gemini), else left out and named, or refused", () => {
    const byUrl = ask({ type: "document", source: { type: "url", url: "https://x.test/a.pdf" } });
    expect(partsOf(messagesRequestToChat(byUrl, new Dropped(), { fileUrls: true }))).toEqual([
      { type: "file", file: { filename: "document.pdf", file_url: "https://x.test/a.pdf" } },
      { type: "text", text: "summarise this" },
    ]);
    const dropped = new Dropped();
    expect(partsOf(messagesRequestToChat(byUrl, dropped))).toBe("summarise this");
    expect(dropped.list).toEqual(["content.document.url"]);
    expect(() => messagesRequestToChat(byUrl, new Dropped("reject"))).toThrow(
      "messages.0.content.0.source.type: content.document.url",
    );
    const files = new Dropped();
    messagesRequestToChat(ask({ type: "document", source: { type: "file", file_id: "file_1" } }), files);
    expect(files.list).toEqual(["content.document.file"]);
  });

  test("a document without a source, or a source without its data, is a 400 in Anthropic's words", () => {
    const refusal = (document: object) => {
      try {
        messagesRequestToChat(ask(document));
      } catch (error) {
        return error instanceof GatewayError ? error.message : error;
      }
      return "translated";
    };
    expect(refusal({ type: "document" })).toBe("messages.0.content.0.document.source: Field required");
    expect(refusal({ type: "document", source: { type: "base64", media_type: "application/pdf" } })).toBe(
      "messages.0.content.0.document.source.base64.data: Field required",
    );
  });

  test("a PDF a tool returned (Claude Code's Read) follows the run of tool messages, as images do", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 5,
      messages: [
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              content: [
                { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF } },
              ],
            },
          ],
        },
      ],
    });
    expect((chat.messages as unknown[]).slice(1)).toEqual([
      { role: "tool", tool_call_id: "t1", content: "(files: in the next message)" },
      {
        role: "user",
        content: [
          { type: "text", text: "Files from the result of tool call t1:" },
          {
            type: "file",
            file: { filename: "document.pdf", file_data: `data:application/pdf;base64,${PDF}` },
          },
        ],
      },
    ]);
  });
});
