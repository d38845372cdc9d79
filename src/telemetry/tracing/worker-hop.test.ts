import { expect, test } from "bun:test";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { workerHop } from "./worker-hop.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const request = (traceparent?: string, tracestate?: string) => ({
  requestId: "r",
  path: "/chat/completions",
  body: { model: "m" },
  traceparent,
  tracestate,
});

test("untraced, the hop passes the gateway's traceparent and tracestate on unchanged, never a tracestate alone", () => {
  expect(workerHop(undefined, request(TRACEPARENT, "congo=1, rojo=2"), "w").headers).toEqual({
    traceparent: TRACEPARENT,
    tracestate: "congo=1, rojo=2",
  });
  expect(workerHop(undefined, request(TRACEPARENT, "congo=1,congo=2"), "w").headers).toEqual({
    traceparent: TRACEPARENT,
  });
  expect(workerHop(undefined, request(undefined, "congo=1"), "w").headers).toBeUndefined();
  expect(workerHop(undefined, request("garbage", "congo=1"), "w").headers).toBeUndefined();
});

test("traced, the hop's span inherits the gateway's trace state and sends it on with its own traceparent", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer(
    "w",
  );
  const hop = workerHop(tracer, request(TRACEPARENT, "congo=1, rojo=2"), "w");
  hop.end();
  const [span] = exporter.getFinishedSpans();
  const { traceId, spanId, traceState } = span?.spanContext() ?? {};
  expect(traceId).toBe("0af7651916cd43dd8448eb211c80319c");
  expect(traceState?.serialize()).toBe("congo=1,rojo=2");
  expect(hop.headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: "congo=1,rojo=2" });
  // With no trace state to inherit, none is sent.
  const bare = workerHop(tracer, request(TRACEPARENT), "w");
  expect(Object.keys(bare.headers ?? {})).toEqual(["traceparent"]);
});
