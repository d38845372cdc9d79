import { expect, test } from "bun:test";
import { isValidSpanId, isValidTraceId } from "@opentelemetry/api";
import { hexIdGenerator, hexOfWord, hexWord } from "./id-generator.ts";

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

test("ids drawn as words: valid as hex, distinct, never zero, across the pool's refills", () => {
  const traces = new Set<string>();
  const spans = new Set<string>();
  // 2,000 rounds of 40 bytes beside a hex id: the 8 KB pool is drawn again several times.
  for (let i = 0; i < 2000; i++) {
    hexIdGenerator.drawTraceId();
    const trace = [0, 1, 2, 3].map((w) => hexOfWord(hexIdGenerator.drawnWord(w))).join("");
    hexIdGenerator.drawSpanId();
    const span = [0, 1].map((w) => hexOfWord(hexIdGenerator.drawnWord(w))).join("");
    expect(isValidTraceId(trace) && isValidSpanId(span)).toBe(true);
    traces.add(trace);
    spans.add(span);
    expect(hexIdGenerator.generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
  }
  expect(traces.size).toBe(2000);
  expect(spans.size).toBe(2000);
});

test("an id's words are its hex digits' words", () => {
  expect(hexWord("ffffffff00000001", 0)).toBe(0xffffffff);
  expect(hexWord("ffffffff00000001", 1)).toBe(1);
  expect(hexOfWord(0xffffffff) + hexOfWord(1)).toBe("ffffffff00000001");
  // Every digit, either case (an SDK span's id may come from an IdGenerator of the embedder's).
  for (const hex of ["01234567", "89abcdef", "89ABCDEF", "fedcba98", "76543210"])
    expect(hexWord(hex, 0)).toBe(Number.parseInt(hex, 16));
});
