import { describe, expect, test } from "bun:test";
import { cellWidth } from "../core/cell-width.ts";
import {
  fit,
  formatClock,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  truncate,
  truncateStart,
  wrapCells,
} from "./format.ts";

describe("format", () => {
  test("durations", () => {
    expect(formatMs(null)).toBe("-");
    expect(formatMs(85.4)).toBe("85ms");
    expect(formatMs(1420)).toBe("1.42s");
    expect(formatMs(12_340)).toBe("12.3s");
    expect(formatMs(125_000)).toBe("2m05s");
  });

  test("clock is HH:MM:SS", () => {
    expect(formatClock(Date.now())).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  test("rates, percents and counts", () => {
    expect(formatRate(12.34)).toBe("12.3");
    expect(formatRate(1234.4)).toBe("1234");
    expect(formatPercent(0.0123)).toBe("1.2%");
    expect(formatCount(950)).toBe("950");
    expect(formatCount(12_345)).toBe("12k");
    expect(formatCount(1234)).toBe("1.2k");
    expect(formatCount(4_500_000)).toBe("4.5M");
  });

  test("truncate and fit", () => {
    expect(truncate("gpt-4o-mini", 6)).toBe("gpt-4…");
    expect(truncate("abc", 1)).toBe("…");
    expect(truncate("abc", 0)).toBe("");
    expect(fit("ab", 4)).toBe("ab  ");
    expect(fit("ab", 4, "right")).toBe("  ab");
    expect(fit("abcdef", 4)).toBe("abc…");
  });

  test("widths are terminal cells: a CJK character takes two, and the columns after it stay in place", () => {
    expect(cellWidth("模型")).toBe(4);
    expect(fit("模型", 6)).toBe("模型  ");
    // Six cells and the ellipsis: a fourth wide character would not fit, so one space pads.
    expect(truncate("通义千问模型", 8)).toBe("通义千…");
    expect(fit("通义千问模型", 8)).toBe("通义千… ");
    expect(cellWidth(fit("通义千问模型-max", 9))).toBe(9);
    expect(fit("qwen-模型", 7, "right")).toBe(" qwen-…");
    expect(cellWidth(fit("🎉🎉🎉", 5))).toBe(5);
    // A grapheme is never split: an accented letter stays whole or goes whole.
    expect(truncate("e\u0301e\u0301e\u0301", 2)).toBe("e\u0301…");
  });

  test("wrapCells: lines of at most the width, at a space late in the line, wide characters whole", () => {
    expect(wrapCells("short", 10)).toEqual(["short"]);
    expect(wrapCells("the model ran out of memory", 12)).toEqual(["the model", "ran out of", "memory"]);
    expect(wrapCells("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
    expect(wrapCells("通义千问模型", 5)).toEqual(["通义", "千问", "模型"]);
    expect(wrapCells("", 5)).toEqual([""]);
  });

  test("truncateStart keeps the end: what is being typed", () => {
    expect(truncateStart("model:gpt-4o-mini", 6)).toBe("…-mini");
    expect(truncateStart("abc", 3)).toBe("abc");
    expect(truncateStart("abc", 0)).toBe("");
    expect(truncateStart("model:通义千问", 6)).toBe("…千问");
    expect(cellWidth(truncateStart("model:通义千问", 6))).toBeLessThanOrEqual(6);
  });
});
