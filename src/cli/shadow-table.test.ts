import { expect, test } from "bun:test";
import type { ShadowAggregate } from "../shadow/shadow-api-schema.ts";
import { shadowTable } from "./shadow-table.ts";

test("the report's cost column shows a small model's cost, not $0.0000", () => {
  const aggregate: ShadowAggregate = {
    model: "mini",
    pairs: 3,
    shadowOk: 3,
    exactRate: 1,
    meanSimilarity: 1,
    shadowJsonValidRate: null,
    toolAgreementRate: null,
    primaryLatencyMsMean: 120,
    shadowLatencyMsMean: 95,
    // Three pairs whose primary cost $0.000011 each, summed in floating point; a free shadow.
    primaryCostUsd: 0.000011 + 0.000011 + 0.000011,
    shadowCostUsd: 0,
  };
  const [titles = "", line = ""] = shadowTable([aggregate]).split("\n");
  expect(line.slice(titles.indexOf("COST (P/S)")).trim()).toBe("$0.000033/$0.0000");
});

test("an empty report says why in the words of what was asked: a filter no pair matches is never 'nothing recorded'", () => {
  const said = (filtered: boolean, ranged: boolean) => shadowTable([], { filtered, ranged });
  expect([said(true, false), said(true, true), said(false, true), said(false, false)]).toEqual([
    "no shadow pairs match this filter\n",
    "no shadow pairs match this filter in this range\n",
    "no shadow pairs recorded in this range\n",
    "no shadow pairs recorded yet\n",
  ]);
});
