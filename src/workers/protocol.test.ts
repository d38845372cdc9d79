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

  test("a request carries the client's dialect headers, query and a stored-response method, bounded", () => {
    const base = { type: "request", id: "1", requestId: "r", body: {}, stream: false, window: 10 };
    const ok = (frame: object) => parseFrame(GatewayFrame, { ...base, ...frame }).ok;
    expect(ok({ path: "/responses", headers: { "openai-beta": "x" }, query: "?beta=true" })).toBe(true);
    expect(ok({ path: "/responses/compact" })).toBe(true);
    expect(ok({ method: "GET", path: "/responses/resp_1" })).toBe(true);
    expect(ok({ method: "DELETE", path: "/responses/resp_1/input_items" })).toBe(true);
    // Paths stay under /responses; methods and queries are a closed, plain set.
    expect(ok({ method: "GET", path: "/responses/../keys" })).toBe(false);
    expect(ok({ method: "GET", path: "/responses/a/b" })).toBe(false);
    expect(ok({ method: "GET", path: "/responses/.." })).toBe(false);
    expect(ok({ method: "GET", path: "/responses/./input_items" })).toBe(false);
    expect(ok({ method: "PUT", path: "/responses/resp_1" })).toBe(false);
    expect(ok({ path: "/responses", query: "beta=true" })).toBe(false);
    expect(ok({ path: "/responses", query: "?a b" })).toBe(false);
    expect(ok({ path: "/responses", headers: { "Bad Header": "x" } })).toBe(false);
  });

  test("a register frame may announce upstream APIs; names it does not know are kept for the gateway to ignore", () => {
    const register = {
      type: "register",
      v: PROTOCOL_VERSION,
      name: "g",
      version: "1",
      models: ["m"],
      concurrency: 1,
    };
    expect(parseFrame(WorkerFrame, { ...register, apis: ["responses", "realtime"] })).toEqual({
      ok: true,
      frame: expect.objectContaining({ apis: ["responses", "realtime"] }),
    });
  });

  test("error frames carry a closed set of codes", () => {
    expect(parseFrame(WorkerFrame, { type: "error", id: "1", code: "over_capacity", message: "" }).ok).toBe(
      true,
    );
    expect(parseFrame(WorkerFrame, { type: "error", id: "1", code: "nope", message: "" }).ok).toBe(false);
  });
});
