import { describe, expect, test } from "bun:test";
import { fitCaller } from "./fit-caller.ts";
import { cellText, layoutColumns, renderCell, widestCells } from "./table-layout.ts";
import type { RequestRow } from "./tail-store.ts";

const total = (width: number) => {
  const cols = layoutColumns(width);
  return cols.reduce((sum, c) => sum + c.width, 0) + cols.length - 1;
};

const row: RequestRow = {
  seq: 0,
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

  test("the key column grows with its longest value, past the width it takes otherwise, where model and route need less", () => {
    const subjects = ["alice.smith-long", "alice.smith-longer"].map((name, i) => ({
      ...row,
      requestId: `r${i}`,
      keyId: `jwt:platform-engineering:${name}`,
      keyName: name,
      route: "provider:openai",
      status: 200,
    }));
    const keyCells = (width: number) => {
      const columns = layoutColumns(width, widestCells(subjects));
      const key = columns.find((c) => c.id === "key")!;
      expect(columns.reduce((sum, c) => sum + c.width, 0) + columns.length - 1).toBeLessThanOrEqual(width);
      return subjects.map((r) => renderCell(r, key).trimEnd());
    };
    // 160 columns hold both ids whole (the key column stopped at 20 cells: `jwt:platform-engine…` twice).
    expect(keyCells(160)).toEqual(subjects.map((r) => r.keyId));
    // Narrower, each keeps its name and gives up its tenant.
    const [a, b] = keyCells(100);
    expect(a).toEndWith(":alice.smith-long");
    expect(b).toEndWith(":alice.smith-longer");
    // Without rows to measure, the widths of before.
    expect(layoutColumns(160)).toEqual(layoutColumns(160, {}));
    expect(layoutColumns(160).find((c) => c.id === "key")?.width).toBe(20);
  });

  test("at 80 columns a tenant's JWT subjects keep their names", () => {
    const subjects = ["alice", "bob"].map((name) => ({
      ...row,
      keyId: `jwt:default:${name}`,
      keyName: name,
      route: "provider:openai",
      status: 200,
    }));
    const key = layoutColumns(80, widestCells(subjects)).find((c) => c.id === "key")!;
    expect(subjects.map((r) => renderCell(r, key).trimEnd())).toEqual([
      "jwt:default:alice",
      "jwt:default:bob",
    ]);
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

describe("fitCaller", () => {
  test("a JWT subject's id gives up its tenant before its name; other labels are cut at their end", () => {
    const id = "jwt:platform-engineering:alice.smith-long";
    expect(fitCaller(id, 60)).toBe(id.padEnd(60));
    expect(fitCaller(id, 24)).toBe("jwt:pl…:alice.smith-long");
    expect(fitCaller(id, 22)).toBe("jwt:…:alice.smith-long");
    // Two subjects of a tenant in a narrow column: told apart by their names (`jwt:default…` twice).
    expect([fitCaller("jwt:default:alice", 14), fitCaller("jwt:default:bob", 14)]).toEqual([
      "jwt:def…:alice",
      "jwt:defau…:bob",
    ]);
    // Too narrow for the whole name too: its end is cut, as any label's.
    expect(fitCaller(id, 12)).toBe("jwt:…:alice…");
    expect(fitCaller("a-very-long-key-name", 8)).toBe("a-very-…");
    // A name claim with colons of its own stays whole: only the tenant is shortened.
    expect(fitCaller("jwt:default:jwt:acme:alice", 20)).toBe("jwt:…:jwt:acme:alice");
  });
});
