import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayError } from "./gateway-error.ts";
import { SseDecoder } from "./sse.ts";
import { SseScanner } from "./sse-scanner.ts";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const fixture = (name: string) =>
  new Uint8Array(readFileSync(join(import.meta.dir, "../translate/fixtures", name)));

interface Seen {
  /** Each event as the scanner delimits it: its bytes, name and first data line; llama.cpp's `error:` field. */
  events: { raw: string; name?: string; data?: string; errorField?: true }[];
  /** What a relay would have written, read by read. */
  written: Uint8Array[];
}

/** Feeds `parts` as successive upstream reads, carrying incomplete events over as the relay does. */
function relay(parts: Uint8Array[], maxLine?: number): Seen {
  const scanner = new SseScanner(maxLine);
  const seen: Seen = { events: [], written: [] };
  let pending = new Uint8Array(0);
  for (const part of [...parts, encoder.encode("\n\n")]) {
    const buf = new Uint8Array(pending.length + part.length);
    buf.set(pending);
    buf.set(part, pending.length);
    const consumed = scanner.scan(buf, {
      onSpan: (span) => {
        seen.events.push({
          raw: text(buf.subarray(span.start, span.end)),
          ...(span.nameStart === -1 ? {} : { name: text(buf.subarray(span.nameStart, span.nameEnd)) }),
          ...(span.dataStart === -1 ? {} : { data: text(buf.subarray(span.dataStart, span.dataEnd)) }),
          ...(span.errorField ? { errorField: true } : {}),
        });
      },
    });
    if (consumed > 0) seen.written.push(buf.slice(0, consumed));
    pending = buf.slice(consumed);
  }
  return seen;
}

const joined = (chunks: Uint8Array[]) => text(Buffer.concat(chunks));

/** The events the full decoder finds, to compare against (single-line data, as upstreams send). */
function decoded(bytes: Uint8Array) {
  const decoder = new SseDecoder();
  return [...decoder.push(bytes), ...decoder.end()].map((e) => ({
    ...(e.event === undefined ? {} : { name: e.event }),
    data: e.data,
  }));
}

const dataEvents = (seen: Seen) =>
  seen.events
    .filter((e) => e.data !== undefined)
    .map((e) => ({ ...(e.name === undefined ? {} : { name: e.name }), data: e.data }));

const RECORDED = [
  "openai/chat-text.sse.txt",
  "openai/chat-tool-calls.sse.txt",
  "openai/chat-error-midstream.sse.txt",
  "anthropic/message-text.sse.txt",
  "anthropic/message-tool-use.sse.txt",
  "anthropic/message-error.sse.txt",
];

describe("SseScanner on recorded streams", () => {
  for (const name of RECORDED) {
    test(`${name}: every two-way split and byte-by-byte finds the same events and writes every byte`, () => {
      const bytes = fixture(name);
      const expected = decoded(bytes);
      expect(expected.length).toBeGreaterThan(2);
      const whole = relay([bytes]);
      expect(dataEvents(whole)).toEqual(expected);
      expect(joined(whole.written).startsWith(text(bytes))).toBe(true);
      for (let i = 0; i <= bytes.length; i++) {
        const split = relay([bytes.subarray(0, i), bytes.subarray(i)]);
        expect(dataEvents(split)).toEqual(expected);
        expect(joined(split.written)).toBe(joined(whole.written));
      }
      const byByte = relay([...bytes].map((b) => Uint8Array.of(b)));
      expect(dataEvents(byByte)).toEqual(expected);
      expect(joined(byByte.written)).toBe(joined(whole.written));
    });
  }
});

describe("SseScanner", () => {
  test("one read carrying several events writes them in one piece", () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\nevent: x\ndata: 3\n\n';
    const seen = relay([encoder.encode(stream)]);
    expect(dataEvents(seen)).toEqual([{ data: '{"a":1}' }, { data: '{"b":2}' }, { name: "x", data: "3" }]);
    expect(text(seen.written[0] ?? new Uint8Array())).toBe(stream);
  });

  test("half an event is held back until its blank line arrives", () => {
    const scanner = new SseScanner();
    const spans: string[] = [];
    const first = encoder.encode('data: {"a":1}\n\ndata: {"b"');
    expect(scanner.scan(first, { onSpan: (s) => spans.push(text(first.subarray(s.start, s.end))) })).toBe(15);
    const second = encoder.encode('data: {"b":2}\n');
    expect(scanner.scan(second, { onSpan: () => spans.push("?") })).toBe(0);
    const third = encoder.encode('data: {"b":2}\n\n');
    expect(scanner.scan(third, { onSpan: (s) => spans.push(text(third.subarray(s.start, s.end))) })).toBe(15);
    expect(spans).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n']);
  });

  test("LF, CRLF and CR line ends all delimit events; a CRLF split across reads counts once", () => {
    for (const stream of [
      "data: a\n\ndata: b\n\n",
      "data: a\r\n\r\ndata: b\r\n\r\n",
      "data: a\r\rdata: b\r\r",
    ]) {
      const bytes = encoder.encode(stream);
      for (let i = 0; i <= bytes.length; i++) {
        const seen = relay([bytes.subarray(0, i), bytes.subarray(i)]);
        expect(dataEvents(seen)).toEqual([{ data: "a" }, { data: "b" }]);
      }
    }
    const split = relay([encoder.encode("data: a\r\n\r"), encoder.encode("\ndata: b\r\n\r\n")]);
    expect(dataEvents(split)).toEqual([{ data: "a" }, { data: "b" }]);
  });

  test("comments are events without data; names apply to their own event only", () => {
    const seen = relay([encoder.encode(": ping\n\nevent: error\ndata: {}\n\ndata: plain\n\n")]);
    expect(seen.events.map((e) => e.data ?? null)).toEqual([null, "{}", "plain"]);
    expect(seen.events.map((e) => e.name ?? null)).toEqual([null, "error", null]);
  });

  test("llama.cpp's `error:` field (before 2025) is an event named error, its value the data, at every split; the events around it as ever", () => {
    const failure = '{"code":500,"message":"llama_decode failed","type":"server_error"}';
    const stream = `data: {"a":1}\n\nerror: ${failure}\n\ndata: [DONE]\n\n`;
    const bytes = encoder.encode(stream);
    for (let i = 0; i <= bytes.length; i++) {
      const seen = relay([bytes.subarray(0, i), bytes.subarray(i)]);
      expect(seen.events.map(({ raw: _, ...event }) => event)).toEqual([
        { data: '{"a":1}' },
        { name: "error", data: failure, errorField: true },
        { data: "[DONE]" },
      ]);
      expect(joined(seen.written)).toBe(`${stream}\n\n`);
    }
    // Read only as a field: `errors:` is none, nor is a value that merely says error.
    const others = relay([encoder.encode("errors: x\n\nevent: error\ndata: {}\n\ndata: error: x\n\n")]);
    expect(others.events.map(({ raw: _, ...event }) => event)).toEqual([
      {},
      { name: "error", data: "{}" },
      { data: "error: x" },
    ]);
  });

  test("a usage object split across reads is found whole in its event", () => {
    const stream = 'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34}}\n\n';
    const bytes = encoder.encode(stream);
    for (let i = 1; i < bytes.length; i++) {
      const seen = relay([bytes.subarray(0, i), bytes.subarray(i)]);
      expect(seen.events).toEqual([{ raw: stream, data: stream.slice(6, -2) }]);
    }
  });

  test("a line longer than the bound is refused as a retryable upstream error", () => {
    const scanner = new SseScanner(16);
    expect(scanner.scan(encoder.encode("data: short\n\n"), { onSpan: () => {} })).toBe(13);
    let error: unknown;
    try {
      scanner.scan(encoder.encode(`data: ${"x".repeat(20)}`), { onSpan: () => {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).retryable).toBe(true);
    expect((error as GatewayError).message).toContain("longer than 16 bytes");
  });

  test("a line one byte past the bound is refused whether it came whole or split, at every split; one at the bound passes", () => {
    const maxLine = 64;
    const stream = (lineBytes: number) =>
      encoder.encode(`data: short\n\ndata: ${"x".repeat(lineBytes - 6)}\n\ndata: [DONE]\n\n`);
    const over = stream(maxLine + 1);
    for (let i = 0; i <= over.length; i++) {
      expect(() => relay([over.subarray(0, i), over.subarray(i)], maxLine)).toThrow(
        "upstream sent an event-stream line longer than 64 bytes",
      );
    }
    const at = stream(maxLine);
    for (let i = 0; i <= at.length; i++) {
      expect(dataEvents(relay([at.subarray(0, i), at.subarray(i)], maxLine))).toHaveLength(3);
    }
  });
});
