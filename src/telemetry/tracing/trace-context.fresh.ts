import { expect, test } from "bun:test";
import { NotLoadedError } from "../../core/on-demand.ts";
import { loadTraceState, parseTraceparent } from "./trace-context.ts";

// Run without the test preload (src/testing/fresh-process.test.ts): OpenTelemetry's TraceState is
// not loaded until a test here loads it, and the tests run in order.

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

test("a client's trace state read before TraceState is loaded is the gateway's mistake; its traceparent alone needs nothing", () => {
  expect(parseTraceparent(TRACEPARENT)?.traceState).toBeUndefined();
  expect(() => parseTraceparent(TRACEPARENT, "vendor=value")).toThrow(NotLoadedError);
});

test("loaded, the trace state is read as the SDK reads it", async () => {
  await loadTraceState();
  expect(parseTraceparent(TRACEPARENT, "vendor=value,other=x")?.traceState?.get("other")).toBe("x");
});
