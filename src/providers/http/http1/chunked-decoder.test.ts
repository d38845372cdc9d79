import { describe, expect, test } from "bun:test";
import { ChunkedBodyError, ChunkedDecoder } from "./chunked-decoder.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (parts: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(parts));

/** Decodes `wire` fed in the given pieces; returns the body, whether it ended, and what was left over. */
function decode(wire: Uint8Array, cuts: number[]) {
  const decoder = new ChunkedDecoder();
  const out: Uint8Array[] = [];
  let left = 0;
  let from = 0;
  for (const to of [...cuts, wire.length]) {
    const piece = wire.subarray(from, to);
    const used = decoder.push(piece, 0, (data) => out.push(data.slice()));
    left += piece.length - used;
    from = to;
  }
  return { body: text(out), done: decoder.done, left };
}

// Two chunks (one with an extension), an empty-looking but real chunk boundary, trailers, then
// bytes of a next response that are not part of this body.
const WIRE = bytes(
  "5;name=value\r\nhello\r\n19\r\n, chunked, with trailers!\r\n0\r\nx-trailer: 1\r\n\r\nHTTP/1.1",
);
const BODY = "hello, chunked, with trailers!";

describe("ChunkedDecoder", () => {
  test("decodes the body whole, stopping after the trailers", () => {
    expect(decode(WIRE, [])).toEqual({ body: BODY, done: true, left: 8 });
  });

  test("decodes the same split at every byte", () => {
    for (let cut = 1; cut < WIRE.length; cut++)
      expect(decode(WIRE, [cut])).toEqual({ body: BODY, done: true, left: 8 });
    const everyByte = Array.from({ length: WIRE.length - 1 }, (_, i) => i + 1);
    expect(decode(WIRE, everyByte)).toEqual({ body: BODY, done: true, left: 8 });
  });

  test("is not done before the last chunk's end", () => {
    const partial = bytes("5\r\nhello\r\n0\r\n");
    expect(decode(partial, [])).toEqual({ body: "hello", done: false, left: 0 });
  });

  test("refuses a broken framing", () => {
    for (const wire of [
      "zz\r\nhello\r\n",
      "\r\nhello",
      "5\r\nhello!!\r\n",
      "5\rXhello",
      "fffffffffffffff\r\n",
    ]) {
      expect(() => decode(bytes(wire), [])).toThrow(ChunkedBodyError);
    }
  });

  test("a push's chunks come out as one piece, from where the body starts in it", () => {
    const wire = bytes("HEAD3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\nnext");
    const decoder = new ChunkedDecoder();
    const out: string[] = [];
    const used = decoder.push(wire, 4, (data) => out.push(new TextDecoder().decode(data)));
    expect(out).toEqual(["abcdefg"]);
    expect([used, decoder.done]).toEqual([wire.length - 4, true]);
  });

  test("the data before a broken framing is emitted before the error", () => {
    const decoder = new ChunkedDecoder();
    const out: string[] = [];
    expect(() =>
      decoder.push(bytes("3\r\nabc\r\n2\r\nde\r\nzz\r\n"), 0, (data) =>
        out.push(new TextDecoder().decode(data)),
      ),
    ).toThrow(ChunkedBodyError);
    expect(out).toEqual(["abcde"]);
  });

  test("reset: one decoder reads body after body", () => {
    const decoder = new ChunkedDecoder();
    for (const body of ["hello", "again"]) {
      decoder.reset();
      const out: string[] = [];
      decoder.push(bytes(`5\r\n${body}\r\n0\r\n\r\n`), 0, (data) => out.push(new TextDecoder().decode(data)));
      expect([out, decoder.done]).toEqual([[body], true]);
    }
  });
});
