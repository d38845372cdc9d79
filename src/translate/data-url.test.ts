import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { isBase64DataUrl, isDataUrl, isTextDataUrl, parseDataUrl, readDataUrl } from "./data-url.ts";
import { chatRequestToMessages } from "./openai-to-anthropic/chat-request-to-messages.ts";
import { chatRequestToConverse } from "./openai-to-bedrock/chat-request-to-converse.ts";
import { chatRequestToGemini } from "./openai-to-gemini/chat-request-to-gemini.ts";

const PNG = "iVBORw0KGgo=";
const withImage = (url: string): JsonObject => ({
  model: "m",
  max_tokens: 10,
  messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
});

describe("data: URLs", () => {
  // RFC 3986: a scheme is case-insensitive; RFC 2045: so is a media type.
  test.each([
    ["Claude", chatRequestToMessages],
    ["Gemini", chatRequestToGemini],
    ["Bedrock", chatRequestToConverse],
  ] as const)("an image as DATA:IMAGE/PNG is translated for %s as data:image/png is", (_, translate) => {
    const lower = translate(withImage(`data:image/png;base64,${PNG}`));
    expect(translate(withImage(`DATA:image/png;base64,${PNG}`))).toEqual(lower);
    expect(translate(withImage(`Data:IMAGE/PNG;base64,${PNG}`))).toEqual(lower);
  });

  // "image/jpg" is no registered type, though browsers' and scripts' own data: URLs say it: Gemini
  // answers 400 "Unsupported MIME type: image/jpg", Claude refuses it as a media_type, Bedrock has no "jpg" format.
  test.each([
    ["Claude", chatRequestToMessages],
    ["Gemini", chatRequestToGemini],
    ["Bedrock", chatRequestToConverse],
  ] as const)("an image as data:image/jpg is translated for %s as data:image/jpeg is", (_, translate) => {
    const jpeg = translate(withImage(`data:image/jpeg;base64,${PNG}`));
    expect(translate(withImage(`data:image/jpg;base64,${PNG}`))).toEqual(jpeg);
    expect(translate(withImage(`data:IMAGE/JPG;base64,${PNG}`))).toEqual(jpeg);
  });

  test("read in any case of scheme and type; the payload and parameters as written", () => {
    expect(readDataUrl("DATA:Text/Plain;charset=UTF-8,Hi%20there")).toEqual({
      mediaType: "text/plain",
      data: "Hi%20there",
      base64: false,
      charset: "UTF-8",
    });
    expect(isTextDataUrl("DATA:text/csv,a,b")).toBe(true);
    expect(isTextDataUrl("Data:,hello")).toBe(true);
  });
});

describe("isDataUrl and isBase64DataUrl: what readDataUrl and parseDataUrl read, without reading it", () => {
  test.each([
    "data:image/png;base64,AAAA",
    "DATA:IMAGE/PNG;BASE64,AAAA",
    "data:;base64,AAAA",
    "data:,hello",
    "data:text/plain;charset=utf-8,hi",
    "data:base64,AAAA",
    "data:image/png;base64",
    "data:",
    "https://example.com/a.png",
    "data:image/png;base64x,AAAA",
    "data:image/png;foo=bar;base64,AA,AA",
  ])("%s", (url) => {
    expect(isDataUrl(url)).toBe(readDataUrl(url) !== undefined);
    expect(isBase64DataUrl(url)).toBe(parseDataUrl(url) !== undefined);
  });
});
