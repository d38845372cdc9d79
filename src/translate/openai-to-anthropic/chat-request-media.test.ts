import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";
import { rejected } from "./testing/rejected.ts";

// A chat request's images, files, audio and data: URLs as Anthropic's content blocks, or the 400 or
// dropped-field note for what Claude cannot read.

describe("chatRequestToMessages: media", () => {
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
});
