import type { ShadowAggregate } from "../shadow/shadow-api-schema.ts";
import { dollars } from "./dollars.ts";
import { textTable } from "./text-table.ts";

const rate = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);
const ms = (value: number | null) => (value === null ? "-" : `${Math.round(value)}`);

/** What the report was asked for: a filter (`--model`, `--key-id`), a range (`--since`). */
export interface ShadowAsked {
  readonly filtered: boolean;
  readonly ranged: boolean;
}

/**
 * Why the report is empty, in the words of what was asked: a filter no pair matches (a mistyped
 * model, a key's name given as `--key-id`) says so, never that nothing was recorded, as the web
 * UI's Shadow page says it.
 */
const nothingFor = (asked: ShadowAsked) =>
  asked.filtered
    ? `no shadow pairs match this filter${asked.ranged ? " in this range" : ""}\n`
    : asked.ranged
      ? "no shadow pairs recorded in this range\n"
      : "no shadow pairs recorded yet\n";

/** The pairs the report's page lists (the newest of them; `more`: older ones left out). */
export interface ShadowListed {
  readonly pairs: number;
  readonly more: boolean;
}

/**
 * Pairs there, none in the figures: every copy was cut off by the gateway (shadow-aggregate-sql.ts),
 * said so, where the report said no pair was recorded.
 */
function noneCompared(asked: ShadowAsked, { pairs, more }: ShadowListed): string {
  const count = more ? `${pairs} or more shadow pairs` : `${pairs} shadow pair${pairs === 1 ? "" : "s"}`;
  const one = pairs === 1 && !more;
  const where = asked.filtered
    ? `${one ? "matches" : "match"} this filter${asked.ranged ? " in this range" : ""}`
    : asked.ranged
      ? "in this range"
      : "recorded";
  return `${count} ${where}, none compared: the gateway cut off every copy (503 unavailable: a stop, a worker or the shadow thread lost), which the figures leave out\n`;
}

/** `mindgw shadow report`'s table: one line a model. */
export function shadowTable(
  aggregates: readonly ShadowAggregate[],
  asked: ShadowAsked = { filtered: false, ranged: false },
  listed: ShadowListed = { pairs: 0, more: false },
): string {
  if (aggregates.length === 0) return listed.pairs > 0 ? noneCompared(asked, listed) : nothingFor(asked);
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
