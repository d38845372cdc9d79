import { expect, test } from "bun:test";
import { isValidSpanId, isValidTraceId } from "@opentelemetry/api";
import { hexIdGenerator } from "./id-generator.ts";

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
