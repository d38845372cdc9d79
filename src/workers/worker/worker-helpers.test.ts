import { describe, expect, test } from "bun:test";
import { modelMatcher } from "../gateway/model-allow-list.ts";
import { encodeFrame } from "../protocol.ts";
import { backoffDelay } from "./backoff.ts";
import { toConnectUrl } from "./connect-url.ts";
import { chunkBytesFor, splitChunk } from "./upstream-call.ts";

describe("worker helpers", () => {
  test("--connect becomes the endpoint's WebSocket URL", () => {
    expect(toConnectUrl("https://gw.example.com").href).toBe("wss://gw.example.com/workers/connect");
    expect(toConnectUrl("http://127.0.0.1:8080/").href).toBe("ws://127.0.0.1:8080/workers/connect");
    expect(toConnectUrl("wss://gw/prefix/workers/connect").href).toBe("wss://gw/prefix/workers/connect");
    expect(() => toConnectUrl("wss://gw/?token=abc")).toThrow();
    expect(() => toConnectUrl("ftp://gw")).toThrow();
  });

  test("backoff grows exponentially up to the cap, with full jitter", () => {
    const top = { baseMs: 100, capMs: 1_000, random: () => 0.999999 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, top))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(5, { ...top, random: () => 0 })).toBe(0);
  });

  test("chunks are split under the byte limit without breaking characters", () => {
    const text = "é😀".repeat(1000);
    const pieces = splitChunk(text, 100);
    expect(pieces.join("")).toBe(text);
    expect(pieces.every((p) => Buffer.byteLength(p) <= 100 && !p.includes("\uFFFD"))).toBe(true);
    expect(splitChunk("")).toEqual([]);
  });

  test("model allow-lists are globs; an empty list permits nothing", () => {
    const match = modelMatcher(["llama-*", "qwen2.5-7b"]);
    expect(["llama-3", "qwen2.5-7b", "qwen2x5-7b", "gpt-4"].map(match)).toEqual([true, true, false, false]);
    expect(modelMatcher([])("x")).toBe(false);
    expect(modelMatcher(["*"])("anything")).toBe(true);
  });
});

test("chunk frames fit the gateway's message limit even when every character needs escaping", () => {
  for (const limit of [4 * 1024, 64 * 1024, 1024 * 1024]) {
    const worst = '\u0001"\\'.repeat(200_000);
    for (const data of splitChunk(worst, chunkBytesFor(limit))) {
      const frame = encodeFrame({ type: "chunk", id: "00000000-0000-0000-0000-000000000000", data });
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(limit);
    }
  }
});
