import { describe, expect, test } from "bun:test";
import { parseResponseHead } from "./response-head.ts";

/** A head's framing and keep-alive as the connection reads them, from its header lines. */
function framingOf(lines: string[], version = "1.1") {
  const text = [`HTTP/${version} 200 OK`, ...lines].join("\r\n");
  const head = parseResponseHead(Buffer.from(`${text}\r\n\r\n`), text.length, false);
  return { framing: head.framing, keepAlive: head.keepAlive };
}

// The common framing words are read off the head's bytes in place; every other value as text.
// Both must read a head alike, whatever the case, the spaces, or the number of such headers.
describe("parseResponseHead: framing and keep-alive", () => {
  test("chunked, in any case, as the only coding or the last one", () => {
    for (const value of ["chunked", "Chunked", "CHUNKED", "gzip, chunked", "gzip,chunked"])
      expect(framingOf([`Transfer-Encoding: ${value}`]).framing).toBe("chunked");
    expect(framingOf(["transfer-encoding: gzip", "transfer-encoding: chunked"]).framing).toBe("chunked");
  });

  test("a coding after chunked, or none that is chunked, runs to the connection's end", () => {
    for (const lines of [
      ["Transfer-Encoding: chunked, gzip"],
      ["Transfer-Encoding: chunked", "Transfer-Encoding: gzip"],
      ["Transfer-Encoding: chunkedx"],
      ["Transfer-Encoding: gzip", "Content-Length: 5"],
    ])
      expect(framingOf(lines).framing).toBe("close");
  });

  test("Connection: keep-alive and close, one word or in a list, in any case", () => {
    expect(framingOf(["Connection: keep-alive", "Content-Length: 0"])).toEqual({
      framing: "length",
      keepAlive: true,
    });
    expect(framingOf(["Connection: Keep-Alive"], "1.0").keepAlive).toBe(true);
    expect(framingOf(["Connection: close"]).keepAlive).toBe(false);
    expect(framingOf(["Connection: CLOSE"]).keepAlive).toBe(false);
    expect(framingOf(["Connection: keep-alive", "Connection: close"]).keepAlive).toBe(false);
    expect(framingOf(["Connection: upgrade, close"]).keepAlive).toBe(false);
    expect(framingOf(["Connection: closed"]).keepAlive).toBe(true);
    expect(framingOf([], "1.0").keepAlive).toBe(false);
    expect(framingOf(["Connection: close"], "1.0").keepAlive).toBe(false);
  });
});
