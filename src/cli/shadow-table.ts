import type { ShadowAggregate } from "../shadow/shadow-api-schema.ts";
import { dollars } from "./dollars.ts";
import { textTable } from "./text-table.ts";

const rate = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);
const ms = (value: number | null) => (value === null ? "-" : `${Math.round(value)}`);

/** `mindgw shadow report`'s table: one line a model. */
export function shadowTable(aggregates: readonly ShadowAggregate[]): string {
  if (aggregates.length === 0) return "no shadow pairs recorded in this range\n";
  return textTable<ShadowAggregate>(
    [
      ["MODEL", (a) => a.model],
      ["PAIRS", (a) => String(a.pairs)],
      ["SHADOW OK", (a) => String(a.shadowOk)],
      ["EXACT", (a) => rate(a.exactRate)],
      ["SIMILARITY", (a) => (a.meanSimilarity === null ? "-" : a.meanSimilarity.toFixed(3))],
      ["JSON VALID", (a) => rate(a.shadowJsonValidRate)],
      ["TOOLS AGREE", (a) => rate(a.toolAgreementRate)],
      ["LATENCY MS (P/S)", (a) => `${ms(a.primaryLatencyMsMean)}/${ms(a.shadowLatencyMsMean)}`],
      ["COST (P/S)", (a) => `${dollars(a.primaryCostUsd)}/${dollars(a.shadowCostUsd)}`],
    ],
    aggregates,
  );
}
