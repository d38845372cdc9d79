import { describe, expect, test } from "bun:test";
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
