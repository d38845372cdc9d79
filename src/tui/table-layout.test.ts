import { describe, expect, test } from "bun:test";
import { cellText, layoutColumns, renderCell } from "./table-layout.ts";
import type { RequestRow } from "./tail-store.ts";

const total = (width: number) => {
  const cols = layoutColumns(width);
  return cols.reduce((sum, c) => sum + c.width, 0) + cols.length - 1;
};

const row: RequestRow = {
  requestId: "r",
  startedAt: 0,
  keyId: "key_1",
  keyName: "alice",
  model: "gpt-4o",
  route: null,
  app: null,
  status: null,
  ttfbMs: null,
  latencyMs: null,
  inputTokens: 0,
  outputTokens: 0,
  record: null,
  admin: false,
};

describe("layoutColumns", () => {
  test("all columns on a wide terminal, never wider than it", () => {
    expect(layoutColumns(160).map((c) => c.id)).toEqual([
      "time",
      "key",
      "model",
      "route",
      "status",
      "ttfb",
      "latency",
      "tokens",
    ]);
    for (const width of [200, 120, 100, 80, 60, 40, 30]) expect(total(width)).toBeLessThanOrEqual(width);
  });

  test("spare width goes to key, model and route", () => {
    const cols = layoutColumns(100);
    expect(total(100)).toBe(100);
    expect(cols.find((c) => c.id === "model")?.width).toBeGreaterThan(8);
  });

  test("narrow terminals drop the least needed columns first", () => {
    const ids = layoutColumns(40).map((c) => c.id);
    expect(ids).toContain("model");
    expect(ids).toContain("status");
    expect(ids).not.toContain("tokens");
  });
});

describe("cells", () => {
  test("in-flight rows show an ellipsis status", () => {
    expect(cellText(row, "status")).toBe("…");
    expect(cellText(row, "ttfb")).toBe("-");
  });

  test("finished rows show numbers", () => {
    const done = {
      ...row,
      status: 200,
      route: "worker:gpu1",
      ttfbMs: 85,
      latencyMs: 1420,
      inputTokens: 12,
      outputTokens: 3400,
    };
    expect(cellText(done, "tokens")).toBe("12/3.4k");
    expect(renderCell(done, { id: "latency", title: "", width: 7, align: "right" })).toBe("  1.42s");
    expect(renderCell(done, { id: "route", title: "", width: 6, align: "left" })).toBe("worke…");
  });

  test("a key by its name, a JWT caller by its subject id: never the bare name a key may have", () => {
    expect(cellText(row, "key")).toBe("alice");
    expect(cellText({ ...row, keyId: "jwt:default:alice" }, "key")).toBe("jwt:default:alice");
    expect(cellText({ ...row, keyId: null, keyName: null }, "key")).toBe("-");
  });
});
