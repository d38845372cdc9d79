import { expect, test } from "bun:test";
import { isValidSpanId, isValidTraceId } from "@opentelemetry/api";
import { hexIdGenerator, hexWord } from "./id-generator.ts";

test("ids are valid W3C trace and span ids, and differ", () => {
  const traces = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const traceId = hexIdGenerator.generateTraceId();
    const spanId = hexIdGenerator.generateSpanId();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(isValidTraceId(traceId) && isValidSpanId(spanId)).toBe(true);
    traces.add(traceId);
  }
  expect(traces.size).toBe(1000);
});

test("an id's words, read from the pool, are its hex digits' words; only for the id drawn last", () => {
  // 2,000 trace and span ids: the 8 KB pool is drawn again several times.
  for (let i = 0; i < 2000; i++) {
    const spanId = hexIdGenerator.generateSpanId();
    expect([0, 1].map((w) => hexIdGenerator.wordOf(spanId, w))).toEqual(
      [0, 1].map((w) => hexWord(spanId, w)),
    );
    const traceId = hexIdGenerator.generateTraceId();
    expect([0, 1, 2, 3].map((w) => hexIdGenerator.wordOf(traceId, w))).toEqual(
      [0, 1, 2, 3].map((w) => hexWord(traceId, w)),
    );
    expect(hexIdGenerator.wordOf(spanId, 0)).toBeUndefined();
  }
  expect(hexWord("ffffffff00000001", 0)).toBe(0xffffffff);
  expect(hexWord("ffffffff00000001", 1)).toBe(1);
});

test("a span id drawn by its words: never zero, distinct, and a hex id drawn before keeps its words", () => {
  const drawn = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const traceId = hexIdGenerator.generateTraceId();
    // 1,000 rounds of 56 digits: the pool is drawn again in between, once in a while by drawSpanId.
    hexIdGenerator.drawSpanId();
    const [s0, s1] = [hexIdGenerator.drawnWord(0), hexIdGenerator.drawnWord(1)];
    expect(s0 !== 0 || s1 !== 0).toBe(true);
    drawn.add(`${s0}:${s1}`);
    const word = hexIdGenerator.wordOf(traceId, 3);
    // Undefined once the pool it was read from is gone; never another id's word.
    if (word !== undefined) expect(word).toBe(hexWord(traceId, 3));
  }
  expect(drawn.size).toBe(1000);
});
