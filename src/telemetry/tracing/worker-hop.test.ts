import { expect, test } from "bun:test";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { type HopCut, workerHop } from "./worker-hop.ts";

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

test("traced, the hop says how the call ended: a 5xx is an error of that type, a tunnel error its code, a cancel marked but no error", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer(
    "w",
  );
  const ended = (frames: { type: string; status?: number; code?: string }[], cut?: HopCut) => {
    const hop = workerHop(tracer, request(TRACEPARENT), "w");
    for (const frame of frames) hop.observe(frame);
    hop.end(cut);
    const span = exporter.getFinishedSpans().at(-1);
    return {
      status: span?.status.code,
      type: span?.attributes["error.type"],
      http: span?.attributes["http.response.status_code"],
    };
  };
  const [UNSET, ERROR] = [0, 2];
  expect(ended([{ type: "head", status: 200 }, { type: "end" }])).toEqual({
    status: UNSET,
    type: undefined,
    http: 200,
  });
  expect(ended([{ type: "head", status: 500 }, { type: "end" }])).toEqual({
    status: ERROR,
    type: "500",
    http: 500,
  });
  expect(ended([{ type: "head", status: 429 }, { type: "end" }])).toEqual({
    status: UNSET,
    type: undefined,
    http: 429,
  });
  expect(ended([{ type: "error", code: "upstream_unreachable" }])).toEqual({
    status: ERROR,
    type: "upstream_unreachable",
    http: undefined,
  });
  // The gateway called it off mid-stream, or before the upstream answered.
  expect(ended([{ type: "head", status: 200 }], "cancelled")).toEqual({
    status: UNSET,
    type: "cancelled",
    http: 200,
  });
  expect(ended([], "cancelled")).toEqual({ status: UNSET, type: "cancelled", http: undefined });
  // A failure already said stays what it was.
  expect(ended([{ type: "head", status: 502 }], "cancelled")).toMatchObject({ status: ERROR, type: "502" });
  // The worker's own end cut it (a lost connection, a drain's deadline): not the gateway's cancel.
  expect(ended([{ type: "head", status: 200 }], "worker_stopped")).toEqual({
    status: ERROR,
    type: "worker_stopped",
    http: 200,
  });
});

test("traced, a compaction's hop is a chat span as the gateway's attempt span names it, and a stored response's read or delete opens no span (its path names a response id), its context passed on unchanged as at the gateway", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer(
    "w",
  );
  workerHop(tracer, { ...request(TRACEPARENT), path: "/responses/compact" }, "w").end();
  const [compact] = exporter.getFinishedSpans();
  expect(compact?.name).toBe("chat m");
  expect(compact?.attributes["gen_ai.operation.name"]).toBe("chat");
  expect(compact?.attributes["url.path"]).toBe("/responses/compact");
  for (const method of ["GET", "DELETE"] as const) {
    const stored = { requestId: "r", path: "/responses/resp_1/input_items", body: {}, method };
    const hop = workerHop(tracer, { ...stored, traceparent: TRACEPARENT, tracestate: "congo=1" }, "w");
    hop.observe({ type: "head", status: 200 });
    hop.end();
    expect(hop.headers).toEqual({ traceparent: TRACEPARENT, tracestate: "congo=1" });
  }
  expect(exporter.getFinishedSpans()).toHaveLength(1);
});
