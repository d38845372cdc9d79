import { describe, expect, test } from "bun:test";
import { GatewayFrame, PROTOCOL_VERSION, parseFrame, WorkerFrame } from "./protocol.ts";

describe("protocol v1 schemas", () => {
  test("a register frame parses and gets default labels", () => {
    const parsed = parseFrame(WorkerFrame, {
      type: "register",
      v: PROTOCOL_VERSION,
      name: "gpu",
      version: "1",
      models: ["m"],
      concurrency: 4,
    });
    expect(parsed).toEqual({ ok: true, frame: expect.objectContaining({ labels: {} }) });
  });

  test("unknown fields are ignored, unknown types are refused", () => {
    expect(parseFrame(WorkerFrame, { type: "end", id: "1", extra: true })).toEqual({
      ok: true,
      frame: { type: "end", id: "1" },
    });
    expect(parseFrame(WorkerFrame, { type: "teleport" }).ok).toBe(false);
    expect(parseFrame(WorkerFrame, "string").ok).toBe(false);
  });

  test("problems name the field", () => {
    const parsed = parseFrame(WorkerFrame, { type: "head", id: "1", status: 700, contentType: "x" });
    expect(parsed.ok === false && parsed.problem.startsWith("status:")).toBe(true);
  });

  test("a request may only name the known upstream paths", () => {
    const base = { type: "request", id: "1", requestId: "r", body: {}, stream: false, window: 10 };
    expect(parseFrame(GatewayFrame, { ...base, path: "/chat/completions" }).ok).toBe(true);
    expect(parseFrame(GatewayFrame, { ...base, path: "/../admin" }).ok).toBe(false);
  });

  test("error frames carry a closed set of codes", () => {
    expect(parseFrame(WorkerFrame, { type: "error", id: "1", code: "over_capacity", message: "" }).ok).toBe(
      true,
    );
    expect(parseFrame(WorkerFrame, { type: "error", id: "1", code: "nope", message: "" }).ok).toBe(false);
  });
});
