import type { AuditPage } from "../audit/audit-query.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { rowKeyText } from "../audit/audit-row-key.ts";
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
   * How many rows live mode listed since it began (or its filters changed): what the page says
   * came. A row its event brings that is listed already (read from the log at a connect) is not
   * counted; the pages read do not change it, so a reconnect keeps it.
   */
  readonly listedLive: number;
}

export const EMPTY_LIST: RequestList = { records: [], older: null, liveOnTop: 0, listedLive: 0 };

/** Live mode keeps at most this many rows (or as many as were paged in, if more): a page left open. */
export const LIVE_MAX = 500;

const olderFrom = (page: AuditPage, before: number | null): OlderRows | null =>
  page.nextCursor === null ? null : { cursor: page.nextCursor, before };

/**
 * A first page, plus the rows the page may not have: those live mode added since the last first
 * page, whatever their start (one that started before the page's newest row and finished while it
 * was read is on neither this page nor an older one), and any newer than the page. A row is told by
 * its key (its start and request id), not its request id alone, which requests may share: it is the
 * caller's `x-request-id` when it sent one.
 */
export function withFirstPage(list: RequestList, page: AuditPage, filters: AuditFilters): RequestList {
  const seen = new Set(page.records.map(rowKeyText));
  const head = page.records[0]?.startedAt ?? 0;
  const kept = list.records.filter(
    (r, at) =>
      !seen.has(rowKeyText(r)) && (at < list.liveOnTop || r.startedAt >= head) && matchesFilters(r, filters),
  );
  return {
    records: [...kept, ...page.records],
    older: olderFrom(page, null),
    liveOnTop: 0,
    listedLive: list.listedLive,
  };
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
export function withLiveRow(list: RequestList, record: AuditRecord): RequestList {
  // Listed already: read by a first page while its event was on the way (after a reconnect).
  if (list.records.some((r) => r.requestId === record.requestId && r.startedAt === record.startedAt))
    return list;
  const records = [record, ...list.records];
  const keep = Math.max(LIVE_MAX, list.records.length);
  const liveOnTop = Math.min(list.liveOnTop + 1, keep);
  const listedLive = list.listedLive + 1;
  if (records.length <= keep) return { records, older: list.older, liveOnTop, listedLive };
  const gone = records.slice(keep);
  const latest = Math.max(...gone.map((r) => r.startedAt)) + 1;
  // Once a page was read since the last row went, the rows that went before are listed again or
  // on its far side: the bound starts anew from this row. Else it only ever widens.
  const earlier = list.older !== null && list.older.cursor === null ? (list.older.before ?? latest) : latest;
  return {
    records: records.slice(0, keep),
    older: { cursor: null, before: Math.max(earlier, latest) },
    liveOnTop,
    listedLive,
  };
}

/** Rows live mode brought, in the order they came, each as `withLiveRow` adds it: one draw for many. */
export const withLiveRows = (list: RequestList, records: readonly AuditRecord[]): RequestList =>
  records.reduce(withLiveRow, list);

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
