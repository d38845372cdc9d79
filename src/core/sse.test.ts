import { describe, expect, test } from "bun:test";
import { GatewayError } from "./gateway-error.ts";
import { decodeSse, encodeSse, SseDecoder, type SseEvent } from "./sse.ts";
import { SseScanner } from "./sse-scanner.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `parts` one push each, then ends the stream. */
function decode(parts: (string | Uint8Array)[], maxLine?: number): SseEvent[] {
  const decoder = new SseDecoder(maxLine);
  const out: SseEvent[] = [];
  for (const part of parts) out.push(...decoder.push(typeof part === "string" ? bytes(part) : part));
  out.push(...decoder.end());
  return out;
}

/** Every way to split `text` into two chunks must decode to the same events. */
function everySplit(text: string): SseEvent[][] {
  const data = bytes(text);
  const results: SseEvent[][] = [];
  for (let i = 0; i <= data.length; i++) results.push(decode([data.slice(0, i), data.slice(i)]));
  return results;
}

describe("SseDecoder", () => {
  test("LF, CRLF and CR line endings decode alike", () => {
    const expected = [{ data: "a" }, { data: "b" }];
    expect(decode(["data: a\n\ndata: b\n\n"])).toEqual(expected);
    expect(decode(["data: a\r\n\r\ndata: b\r\n\r\n"])).toEqual(expected);
    expect(decode(["data: a\r\rdata: b\r\r"])).toEqual(expected);
    expect(decode(["data: a\r\n\ndata: b\n\r\n"])).toEqual(expected);
  });

  test("an event split at any byte decodes the same (CRLF split between chunks included)", () => {
    const text = 'event: delta\r\ndata: {"x":"é…😀"}\r\n\r\ndata: two\r\n\r\n';
    const expected = [{ event: "delta", data: '{"x":"é…😀"}' }, { data: "two" }];
    for (const result of everySplit(text)) expect(result).toEqual(expected);
  });

  test("a CR at the end of a chunk followed by LF in the next is one line break, not two", () => {
    expect(decode(["data: a\r", "\ndata: b\r", "\n\r", "\n"])).toEqual([{ data: "a\nb" }]);
  });

  test("multi-line data joins with newlines", () => {
    expect(decode(["data: line one\ndata: line two\ndata:\n\n"])).toEqual([{ data: "line one\nline two\n" }]);
  });

  test("only one leading space is stripped from a value", () => {
    expect(decode(["data:  two spaces\ndata:none\n\n"])).toEqual([{ data: " two spaces\nnone" }]);
  });

  test("comments, id and retry are ignored; comment-only blocks dispatch nothing", () => {
    expect(decode([": keep-alive\n\nid: 7\nretry: 100\n: note\ndata: x\n\n"])).toEqual([{ data: "x" }]);
  });

  test("llama.cpp's `error:` field (before 2025) is the OpenAI error chunk it stands for, at every split; the [DONE] after it as ever", () => {
    const failure = '{"code":500,"message":"llama_decode failed","type":"server_error"}';
    const text = `data: {"choices":[]}\n\nerror: ${failure}\n\ndata: [DONE]\n\n`;
    const expected = [{ data: '{"choices":[]}' }, { data: `{"error":${failure}}` }, { data: "[DONE]" }];
    for (const result of everySplit(text)) expect(result).toEqual(expected);
    // An OpenAI error chunk already, as it came; words that are no JSON object, as its message.
    expect(decode(['error: {"error":{"message":"x"}}\n\nerror: model crashed\n\n'])).toEqual([
      { data: '{"error":{"message":"x"}}' },
      { data: '{"error":{"message":"model crashed"}}' },
    ]);
  });

  test("an `error:` field after an event's data is dropped, as the byte relay's scanner drops it; words that are no JSON object are the failure's message", () => {
    const text =
      'data: {"a":1}\nerror: {"code":500,"message":"x"}\n\nerror: model crashed\n\ndata: [DONE]\n\n';
    const expected = [
      { data: '{"a":1}' },
      { data: '{"error":{"message":"model crashed"}}' },
      { data: "[DONE]" },
    ];
    for (const result of everySplit(text)) expect(result).toEqual(expected);
  });

  test("a `data:` line after an `error:` field in one event is dropped, as the byte relay's scanner drops it: the event is the error's", () => {
    const text = 'data: {"a":1}\n\nerror: {"code":500,"message":"x"}\ndata: {"y":1}\n\ndata: [DONE]\n\n';
    const expected = [
      { data: '{"a":1}' },
      { data: '{"error":{"code":500,"message":"x"}}' },
      { data: "[DONE]" },
    ];
    for (const result of everySplit(text)) expect(result).toEqual(expected);
  });

  test("event names apply to their own event only", () => {
    expect(decode(["event: ping\ndata: {}\n\ndata: plain\n\nevent: lonely\n\n"])).toEqual([
      { event: "ping", data: "{}" },
      { data: "plain" },
    ]);
  });

  test("a field without a colon is a field with an empty value", () => {
    expect(decode(["data\ndata\n\n"])).toEqual([{ data: "\n" }]);
  });

  test("a final event without the blank line is flushed at the end", () => {
    expect(decode(["data: last"])).toEqual([{ data: "last" }]);
    expect(decode(["data: [DONE]\n"])).toEqual([{ data: "[DONE]" }]);
  });

  test("a pending line longer than the bound throws a retryable upstream error", () => {
    const decoder = new SseDecoder(16);
    expect(decoder.push(bytes("data: short\n\n"))).toEqual([{ data: "short" }]);
    decoder.push(bytes("data: 0123456789"));
    let thrown: unknown;
    try {
      decoder.push(bytes("abcdef"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).status).toBe(502);
    expect((thrown as GatewayError).retryable).toBe(true);
  });

  test("the bound counts a line's bytes, as the byte relay does: whole or split, 3- and 4-byte characters at their size", () => {
    const maxLine = 64 * 1024;
    // Half the bound in characters, 1.5 times it in bytes: refused as the byte relay refuses it.
    const euros = `data: ${"€".repeat(maxLine / 2)}\n\n`;
    const over = bytes(euros);
    for (const at of [over.length, 1, 7, maxLine, maxLine + 1, over.length - 1]) {
      const error = (() => {
        try {
          decode([over.subarray(0, at), over.subarray(at)], maxLine);
        } catch (e) {
          return e;
        }
      })() as GatewayError;
      expect(error).toBeInstanceOf(GatewayError);
      expect(error.message).toBe(`upstream sent an event-stream line longer than ${maxLine} bytes`);
      expect(() => new SseScanner(maxLine).scan(over, { onSpan() {} })).toThrow(error.message);
    }
    // At the bound, in bytes, a line passes however its characters are made: 3 bytes, 4 (two units).
    for (const [char, size] of [
      ["€", 3],
      ["🎉", 4],
    ] as const) {
      const within = `data: ${char.repeat(Math.floor((maxLine - 6) / size))}`;
      const line = `${within}${"x".repeat(maxLine - bytes(within).length)}`;
      expect(bytes(line).length).toBe(maxLine);
      expect(decode([`${line}\n\n`], maxLine)).toHaveLength(1);
      expect(() => decode([`${line}x\n\n`], maxLine)).toThrow("longer than");
    }
  });

  test("a line still arriving is bounded in bytes: under the bound in characters, past it in bytes, it throws before it ends", () => {
    const maxLine = 64 * 1024;
    const decoder = new SseDecoder(maxLine);
    // Half the bound in characters, 1.5 times it in bytes, and no line end yet.
    expect(() => decoder.push(bytes(`data: ${"€".repeat(maxLine / 2)}`))).toThrow(
      `upstream sent an event-stream line longer than ${maxLine} bytes`,
    );
  });

  test("a line that arrives over many reads is counted right across them: it throws at the read that takes it past the bound, not before", () => {
    const maxLine = 300;
    // Past a third of the bound (where counting starts) in each mix of 1-, 3- and 4-byte characters.
    const line = `data: ${"a€🎉".repeat(60)}`;
    const all = bytes(`data: first\n\n${line}\n\n`);
    const lineStart = all.length - bytes(line).length - 2;
    for (const read of [1, 2, 5, 64]) {
      const decoder = new SseDecoder(maxLine);
      const decoded = new TextDecoder();
      let arrived = "";
      let threw = false;
      for (let at = 0; at < all.length && !threw; at += read) {
        const chunk = all.subarray(at, at + read);
        arrived += decoded.decode(chunk, { stream: true });
        // The line's bytes that this read completed as characters, the line end not among them.
        const lineSoFar = bytes(arrived).length - lineStart;
        const past = Math.min(lineSoFar, bytes(line).length) > maxLine;
        if (past) {
          expect(() => decoder.push(chunk)).toThrow("longer than");
          threw = true;
        } else decoder.push(chunk);
      }
      expect(threw).toBe(true);
    }
    // At the bound exactly, however split, the line is whole.
    const atBound = `data: ${"a€🎉".repeat(36)}${"x".repeat(maxLine - 6 - 36 * 8)}`;
    expect(bytes(atBound).length).toBe(maxLine);
    const exact = bytes(atBound);
    for (const read of [1, 3, 7]) {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < exact.length; at += read) parts.push(exact.subarray(at, at + read));
      expect(decode([...parts, "\n\n"], maxLine)).toHaveLength(1);
      expect(() => decode([...parts, "y\n\n"], maxLine)).toThrow("longer than");
    }
  });

  test("the bound applies to one line, not to an event made of many short lines", () => {
    const many = "data: 0123456789\n".repeat(50);
    expect(decode([`${many}\n`], 16)).toHaveLength(1);
  });
});

describe("decodeSse", () => {
  test("decodes an async byte stream as it arrives", async () => {
    async function* body() {
      yield bytes("data: a\n");
      yield bytes("\nda");
      yield bytes("ta: b\n\n");
    }
    const out: SseEvent[] = [];
    for await (const event of decodeSse(body())) out.push(event);
    expect(out).toEqual([{ data: "a" }, { data: "b" }]);
  });

  test("an endless line is cut at the bound instead of being buffered", async () => {
    async function* endless() {
      yield bytes('data: {"endless":"');
      while (true) yield bytes("x".repeat(1024));
    }
    const error = await (async () => {
      for await (const _event of decodeSse(endless(), 64 * 1024)) {
        // no event ever completes
      }
    })().catch((e: unknown) => e);
    expect((error as GatewayError).code).toBe("upstream_error");
  });
});

describe("encodeSse", () => {
  test("round-trips through the decoder, multi-line data and event names included", () => {
    const events: SseEvent[] = [{ data: '{"a":1}' }, { event: "message_stop", data: "one\ntwo" }];
    expect(decode([events.map(encodeSse).join("")])).toEqual(events);
  });
});
