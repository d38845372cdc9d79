import { type AuditRecord, finishedAt } from "../audit/audit-record.ts";
import { rowKeyText } from "../audit/audit-row-key.ts";

/**
 * What the Requests page says came in live mode: the distinct rows listed that finished since it
 * (or its filters) began, whether an event brought them or a read of the log at a connect did (the
 * stream has no replay: what finished while it was down is read then). A row an event brought is
 * new whatever the clocks say: the stream carries only what finished once it was open. A row read
 * from the log is new when it finished after every row the first read since live mode began listed:
 * both times on the gateway's clock, which stamps the rows, never the page's, which may be off by
 * any amount (a row that finished in the minute before Live was turned on, on a browser a minute
 * behind, is no new one). That read's own rows are none new unless their event comes.
 */
export interface LiveCount {
  /**
   * The newest finish the first read of the log since live mode (or its filters) began listed
   * (epoch ms, the gateway's clock; -Infinity when it listed none); null before that read.
   */
  readonly since: number | null;
  readonly count: number;
  /** The counted rows still listed (`rowKeyText`): none is counted twice, and rows gone are forgotten. */
  readonly counted: ReadonlySet<string>;
}

/** Live mode beginning: nothing counted yet, nor read. */
export const liveBegun = (): LiveCount => ({ since: null, count: 0, counted: new Set() });

/**
 * `live` with those of `rows` counted that are new to it (`byEvent`: an event brought them; else a
 * read of the log, each counted if it finished since live mode began), `listed` being the list's
 * rows now: the counted rows it no longer holds are forgotten whenever one is added.
 */
export function countedLive(
  live: LiveCount,
  rows: readonly AuditRecord[],
  byEvent: boolean,
  listed: readonly AuditRecord[],
): LiveCount {
  if (!byEvent && live.since === null) return { ...live, since: newestFinish(rows) };
  const since = live.since ?? Number.NEGATIVE_INFINITY;
  const fresh = new Set<string>();
  for (const row of rows) {
    if (!byEvent && finishedAt(row) <= since) continue;
    const key = rowKeyText(row);
    if (!live.counted.has(key)) fresh.add(key);
  }
  if (fresh.size === 0) return live;
  const counted = new Set<string>();
  for (const row of listed) {
    const key = rowKeyText(row);
    if (live.counted.has(key) || fresh.has(key)) counted.add(key);
  }
  return { since: live.since, count: live.count + fresh.size, counted };
}

/** The latest finish of `rows` (the gateway's clock); -Infinity for none. */
function newestFinish(rows: readonly AuditRecord[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const row of rows) newest = Math.max(newest, finishedAt(row));
  return newest;
}
