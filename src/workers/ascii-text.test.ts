import { describe, expect, test } from "bun:test";
import { AsciiCache, AsciiFields, asciiSize, writeAscii } from "./ascii-text.ts";

/** Texts framed one after another, as a frame's fields are. */
function framed(...texts: string[]): Uint8Array {
  const out = new Uint8Array(texts.reduce((size, text) => size + asciiSize(text), 0));
  let at = 0;
  for (const text of texts) at = writeAscii(out, at, text);
  return out;
}

/** The text at `at` (up to `end`) and where the next one starts, as a frame's decoder reads it. */
function readAt(
  bytes: Uint8Array,
  at: number,
  end: number,
  cache?: AsciiCache,
): [string, number] | undefined {
  const fields = new AsciiFields(bytes, at, end);
  const text = fields.next(cache);
  return text === undefined ? undefined : [text, fields.at];
}

describe("short ASCII texts in a frame", () => {
  test("a field's cache hands the same text back, and reads a different one of the same length anew", () => {
    const cache = new AsciiCache();
    const first = readAt(framed("/chat/completions"), 0, 18, cache);
    const again = readAt(framed("/chat/completions"), 0, 18, cache);
    expect(first).toEqual(["/chat/completions", 18]);
    expect(again?.[0]).toBe(first?.[0] as string);
    expect(readAt(framed("/chat/completionz"), 0, 18, cache)).toEqual(["/chat/completionz", 18]);
    expect(readAt(framed(""), 0, 1, cache)).toEqual(["", 1]);
    expect(readAt(framed("/chat/completionz"), 0, 18, cache)).toEqual(["/chat/completionz", 18]);
  });

  test("a text the cache holds is still refused when a byte is not printable or it overruns", () => {
    const cache = new AsciiCache();
    const bytes = framed("model-a", "next");
    expect(readAt(bytes, 0, bytes.byteLength, cache)).toEqual(["model-a", 8]);
    const broken = bytes.slice();
    broken[3] = 0x0a;
    expect(readAt(broken, 0, broken.byteLength, cache)).toBeUndefined();
    expect(readAt(bytes, 0, 7, cache)).toBeUndefined();
    expect(readAt(bytes, 8, bytes.byteLength, cache)).toEqual(["next", 13]);
  });

  test("texts read one after another: each from where the last ended, none past a refused one", () => {
    const bytes = framed("req_1", "/chat/completions", "", "model-b");
    const fields = new AsciiFields(bytes, 0, bytes.byteLength);
    expect([fields.next(), fields.next(), fields.next(), fields.next()]).toEqual([
      "req_1",
      "/chat/completions",
      "",
      "model-b",
    ]);
    expect(fields.at).toBe(bytes.byteLength);
    expect(fields.next()).toBeUndefined();
    const cut = new AsciiFields(bytes, 0, 3);
    expect(cut.next()).toBeUndefined();
    expect(cut.at).toBe(0);
  });
});
