import { describe, expect, test } from "bun:test";
import { AsciiCache, asciiSize, readAscii, writeAscii } from "./ascii-text.ts";

/** Texts framed one after another, as a frame's fields are. */
function framed(...texts: string[]): Uint8Array {
  const out = new Uint8Array(texts.reduce((size, text) => size + asciiSize(text), 0));
  let at = 0;
  for (const text of texts) at = writeAscii(out, at, text);
  return out;
}

describe("short ASCII texts in a frame", () => {
  test("a field's cache hands the same text back, and reads a different one of the same length anew", () => {
    const cache = new AsciiCache();
    const first = readAscii(framed("/chat/completions"), 0, 18, cache);
    const again = readAscii(framed("/chat/completions"), 0, 18, cache);
    expect(first).toEqual(["/chat/completions", 18]);
    expect(again?.[0]).toBe(first?.[0] as string);
    expect(readAscii(framed("/chat/completionz"), 0, 18, cache)).toEqual(["/chat/completionz", 18]);
    expect(readAscii(framed(""), 0, 1, cache)).toEqual(["", 1]);
    expect(readAscii(framed("/chat/completionz"), 0, 18, cache)).toEqual(["/chat/completionz", 18]);
  });

  test("a text the cache holds is still refused when a byte is not printable or it overruns", () => {
    const cache = new AsciiCache();
    const bytes = framed("model-a", "next");
    expect(readAscii(bytes, 0, bytes.byteLength, cache)).toEqual(["model-a", 8]);
    const broken = bytes.slice();
    broken[3] = 0x0a;
    expect(readAscii(broken, 0, broken.byteLength, cache)).toBeUndefined();
    expect(readAscii(bytes, 0, 7, cache)).toBeUndefined();
    expect(readAscii(bytes, 8, bytes.byteLength, cache)).toEqual(["next", 13]);
  });
});
