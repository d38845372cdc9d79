import type { AuditPage } from "../audit/audit-query.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { rowKeyText } from "../audit/audit-row-key.ts";
import { countedLive, type LiveCount } from "./live-count.ts";
import { type AuditFilters, matchesFilters } from "./request-filters.ts";

/**
 * Where "Load older" reads on from: a page's `nextCursor`, under an upper bound on the start time
 * once live rows pushed listed rows out (the cursor then points past rows no longer listed, so the
 * pages go on from the bound instead, and rows still listed are not added twice).
 */
export interface OlderRows {
  readonly cursor: string | null;
  /** Only rows started before this (epoch ms, exclusive); null for none beyond the filters' own. */
  readonly before: number | null;
}

/**
 * The Requests page's list: its rows, newest first (live rows on top in the order they finished),
 * and where older ones are read from (null: no older row).
 */
export interface RequestList {
  readonly records: readonly AuditRecord[];
  readonly older: OlderRows | null;
  /**
   * How many rows on top live mode added since the last first page: the next first page keeps
   * them whatever their start, as it may be read before they are (the audit writer's batch) and
   * its cursor then passes below them.
   */
  readonly liveOnTop: number;
  /**
   * What the page says came since live mode (or its filters) began: live-count.ts. Null while live
   * mode is off.
   */
  readonly live: LiveCount | null;
}

export const EMPTY_LIST: RequestList = { records: [], older: null, liveOnTop: 0, live: null };

/** Live mode keeps at most this many rows (or as many as were paged in, if more): a page left open. */
export const LIVE_MAX = 500;

const olderFrom = (page: AuditPage, before: number | null): OlderRows | null =>
  page.nextCursor === null ? null : { cursor: page.nextCursor, before };

/**
 * A first page, plus the rows the page may not have: those live mode added since the last first
 * page, whatever their start (one that started before the page's newest row and finished while it
 * was read is on neither this page nor an older one), and any newer than the page. A row is told by
 * its key (its start and request id), not its request id alone, which requests may share: it is the
 * caller's `x-request-id` when it sent one. In live mode its rows that finished since it began are
 * counted (read at a connect: what finished while the stream was down or opening). An older page's
 * are not: rows live mode pushed out, counted and forgotten, are read again there.
 */
export function withFirstPage(list: RequestList, page: AuditPage, filters: AuditFilters): RequestList {
  const seen = new Set(page.records.map(rowKeyText));
  const head = page.records[0]?.startedAt ?? 0;
  const kept = list.records.filter(
    (r, at) =>
      !seen.has(rowKeyText(r)) && (at < list.liveOnTop || r.startedAt >= head) && matchesFilters(r, filters),
  );
  const records = [...kept, ...page.records];
  const live = list.live && countedLive(list.live, page.records, false, records);
  return { records, older: olderFrom(page, null), liveOnTop: 0, live };
}

/**
 * An older page added below, but for rows listed already: a long request that finished while
 * live mode was on is listed on top, and its start puts it on an older page too.
 */
export function withOlderPage(list: RequestList, page: AuditPage): RequestList {
  const seen = new Set(list.records.map(rowKeyText));
  const added = page.records.filter((r) => !seen.has(rowKeyText(r)));
  return {
    ...list,
    records: [...list.records, ...added],
    older: olderFrom(page, list.older?.before ?? null),
  };
}

/**
 * A row live mode brought, on top. Past `LIVE_MAX` rows the oldest goes, and older pages are then
 * read from before the latest start among the rows that went (each row that went is read again
 * that way, none skipped; those still listed are not added again: `withOlderPage`).
 */
function onTop(list: RequestList, record: AuditRecord): RequestList {
  // Listed already: read by a first page while its event was on the way (at a connect).
  if (list.records.some((r) => r.requestId === record.requestId && r.startedAt === record.startedAt))
    return list;
  const records = [record, ...list.records];
  const keep = Math.max(LIVE_MAX, list.records.length);
  const liveOnTop = Math.min(list.liveOnTop + 1, keep);
  if (records.length <= keep) return { ...list, records, liveOnTop };
  const gone = records.slice(keep);
  const latest = Math.max(...gone.map((r) => r.startedAt)) + 1;
  // Once a page was read since the last row went, the rows that went before are listed again or
  // on its far side: the bound starts anew from this row. Else it only ever widens.
  const earlier = list.older !== null && list.older.cursor === null ? (list.older.before ?? latest) : latest;
  return {
    records: records.slice(0, keep),
    older: { cursor: null, before: Math.max(earlier, latest) },
    liveOnTop,
    live: list.live,
  };
}

/**
 * Rows live mode brought, in the order they came, each on top unless listed already, and each
 * counted unless counted already (live-count.ts): one draw for many.
 */
export function withLiveRows(list: RequestList, records: readonly AuditRecord[]): RequestList {
  const added = records.reduce(onTop, list);
  const live = list.live && countedLive(list.live, records, true, added.records);
  return live === added.live ? added : { ...added, live };
}

/** One row live mode brought: `withLiveRows`. */
export const withLiveRow = (list: RequestList, record: AuditRecord): RequestList =>
  withLiveRows(list, [record]);

/** The query for the next older page: the filters' own, the cursor, and the bound under the filters' `to`. */
export function olderQuery(filtersQuery: URLSearchParams, older: OlderRows): URLSearchParams {
  const query = new URLSearchParams(filtersQuery);
  if (older.cursor !== null) query.set("cursor", older.cursor);
  if (older.before !== null) {
    const to = query.get("to");
    query.set("to", String(to === null ? older.before : Math.min(Number(to), older.before)));
  }
  return query;
}
