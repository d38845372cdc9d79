import { expect, test } from "bun:test";
import { mediaType, mediaTypeWords } from "./media-type.ts";

test("the media type of a content-type: lowercased, its parameters left out; none is empty", () => {
  expect(mediaType("application/json;charset=utf-8")).toBe("application/json");
  expect(mediaType(" Text/HTML ; charset=UTF-8")).toBe("text/html");
  expect(mediaType(null)).toBe("");
  expect(mediaType("")).toBe("");
});

test("said as itself when it reads as one, never the other side's raw text", () => {
  expect(mediaTypeWords("text/html")).toBe("text/html");
  expect(mediaTypeWords("")).toBe("no content type");
  expect(mediaTypeWords("text/\u001b[2Jhtml")).toBe("an unreadable content type");
  expect(mediaTypeWords(`text/${"x".repeat(200)}`)).toBe("an unreadable content type");
});
