import { describe, expect, test } from "bun:test";
import { MAX_TRACESTATE_LENGTH } from "../core/tracestate.ts";
import { GatewayFrame, parseFrame, WorkerFrame } from "./protocol.ts";
import { readGatewayFrame, readWorkerFrame } from "./read-frame.ts";

const fromWorker: unknown[] = [
  { type: "end", id: "1" },
  { type: "end", id: "4294967295" },
  { type: "end", id: "12345678901" },
  { type: "end", id: "1a" },
  { type: "end", id: 1 },
  { type: "end" },
  { type: "head", id: "2", status: 200, contentType: "application/json" },
  { type: "head", id: "2", status: 503, contentType: "", retryAfter: "5", extra: true },
  { type: "head", id: "2", status: 199, contentType: "text/plain" },
  { type: "head", id: "2", status: 600, contentType: "text/plain" },
  { type: "head", id: "2", status: 200.5, contentType: "text/plain" },
  { type: "head", id: "2", status: "200", contentType: "text/plain" },
  { type: "head", id: "2", status: 200, contentType: "x".repeat(257) },
  { type: "head", id: "2", status: 200, contentType: "x".repeat(256) },
  { type: "head", id: "2", status: 200, contentType: "a", retryAfter: "x".repeat(65) },
  { type: "head", id: "2", status: 200, contentType: "a", retryAfter: 5 },
  { type: "head", id: "2", status: 200 },
  // Header values only: a line break or a NUL in one would throw as its header is set.
  { type: "head", id: "2", status: 200, contentType: "text/plain\r\nx-injected: 1" },
  { type: "head", id: "2", status: 429, contentType: "a", retryAfter: "5\n" },
  { type: "head", id: "2", status: 429, contentType: "a", retry: { "retry-after-ms": "1\u0000" } },
  { type: "head", id: "2", status: 429, contentType: "a", retry: { "x-should-retry": "true" } },
  {
    type: "head",
    id: "2",
    status: 429,
    contentType: "a",
    retry: { "x-should-retry": "true", "retry-later": "1" },
  },
  { type: "head", id: "2", status: 200, contentType: "a", servedBy: "worker:w1@node-b\r\n" },
  { type: "error", id: "3", code: "internal", message: "boom" },
  { type: "heartbeat", at: 1 },
  { type: "chunk", id: "1", data: "x" },
  null,
  [],
  "end",
];

const request = {
  type: "request",
  id: "7",
  requestId: "r-7",
  path: "/chat/completions",
  body: { model: "m", messages: [] },
  stream: false,
  window: 262144,
};
const fromGateway: unknown[] = [
  request,
  { ...request, bodyText: '{"model":"m"}', body: { model: "m" }, stream: true },
  { ...request, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
  { ...request, traceparent: "x".repeat(129) },
  {
    ...request,
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "congo=t61rcWkgMzE",
  },
  { ...request, tracestate: "x".repeat(MAX_TRACESTATE_LENGTH + 1) },
  { ...request, tracestate: 5 },
  { ...request, path: "/responses/compact" },
  { ...request, path: "/responses/resp_1", method: "GET" },
  { ...request, path: "/models" },
  { ...request, body: [] },
  { ...request, body: null },
  { ...request, bodyText: 5 },
  { ...request, stream: "yes" },
  { ...request, window: 0 },
  { ...request, window: 1.5 },
  { ...request, requestId: 7 },
  { ...request, headers: { "openai-beta": "assistants=v2" }, query: "?beta=true" },
  { ...request, headers: { "Bad Name": "x" } },
  { ...request, query: "no-question-mark" },
  { ...request, method: "PUT" },
  { ...request, id: "-1" },
  { type: "credit", id: "7", bytes: 65536 },
  { type: "credit", id: "7", bytes: 0 },
  { type: "credit", id: "7", bytes: -5 },
  { type: "credit", id: "7", bytes: 1.5 },
  { type: "credit", id: "7" },
  { type: "cancel", id: "7" },
  { type: "cancel", id: "x" },
  { type: "heartbeat", at: 5 },
  { type: "rejected", reason: "key_revoked", message: "gone" },
];

describe("a head frame's header values", () => {
  const head = { type: "head", id: "2", status: 429, contentType: "a" };
  test.each([
    ["a content type", { contentType: "text/plain\r\nx-injected: 1" }],
    ["a Retry-After", { retryAfter: "5\n" }],
    ["a retry header", { retry: { "retry-after-ms": "1\u0000" } }],
    ["the worker that served it", { servedBy: "worker:w1\r\n" }],
  ])("%s that is no header value is refused", (_, field) => {
    expect(readWorkerFrame({ ...head, ...field }).ok).toBe(false);
  });

  test("a retry header this gateway does not know is left out, not a refusal (a later worker's)", () => {
    const read = readWorkerFrame({ ...head, retry: { "x-should-retry": "true", "retry-later": "1" } });
    expect(read).toMatchObject({ ok: true, frame: { retry: { "x-should-retry": "true" } } });
    expect(read.ok && read.frame.type === "head" && read.frame.retry).toEqual({ "x-should-retry": "true" });
  });
});

describe("reading tunnel frames without zod", () => {
  // The plain path may only accept what the schema accepts, with the same fields.
  test("frames from a worker are accepted and refused as the schema decides", () => {
    for (const value of fromWorker) {
      const schema = parseFrame(WorkerFrame, value);
      const read = readWorkerFrame(value);
      expect([value, read.ok]).toEqual([value, schema.ok]);
      if (read.ok && schema.ok) expect(read.frame).toMatchObject(schema.frame);
    }
  });

  test("frames from the gateway are accepted and refused as the schema decides", () => {
    for (const value of fromGateway) {
      const schema = parseFrame(GatewayFrame, value);
      const read = readGatewayFrame(value);
      expect([value, read.ok]).toEqual([value, schema.ok]);
      if (read.ok && schema.ok) expect(read.frame).toMatchObject(schema.frame);
    }
  });
});
