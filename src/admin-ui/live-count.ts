import { type AuditRecord, finishedAt } from "../audit/audit-record.ts";
import { rowKeyText } from "../audit/audit-row-key.ts";

/**
 * What the Requests page says came in live mode: the distinct rows listed that finished since it
 * (or its filters) began, whether an event brought them or a read of the log at a connect did (the
 * stream has no replay: what finished while it was down, or before it opened, is read then). A row
 * an event brought is new whatever the clocks say: the stream carries only what finished once it
 * was open. A row read from the log is new when it finished at or after `since`: its finish by the
 * gateway's clock against the page's, as the console reads every time it shows as an age.
 */
export interface LiveCount {
  /** When live mode or its filters began (epoch ms, the page's clock). */
  readonly since: number;
  readonly count: number;
  /** The counted rows still listed (`rowKeyText`): none is counted twice, and rows gone are forgotten. */
  readonly counted: ReadonlySet<string>;
}

/** Live mode beginning at `since`: nothing counted yet. */
export const liveSince = (since: number): LiveCount => ({ since, count: 0, counted: new Set() });

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
  const fresh = new Set<string>();
  for (const row of rows) {
    if (!byEvent && finishedAt(row) < live.since) continue;
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
