import { describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { liveBegun } from "./live-count.ts";
import { NO_FILTERS, toQuery } from "./request-filters.ts";
import {
  EMPTY_LIST,
  LIVE_MAX,
  olderQuery,
  type RequestList,
  withFirstPage,
  withLiveRow,
  withLiveRows,
  withOlderPage,
} from "./request-list.ts";

// The Requests page's list as live mode and "Load older" change it, against a log of rows one
// millisecond apart read as the server pages it (newest first, below a cursor or a `to`).

const T0 = 1_700_000_000_000;
const row = (id: string, startedAt: number) => makeRecord({ requestId: id, startedAt });
/** `n` rows named `prefix-0` … started a millisecond apart from `from`, oldest first. */
const rows = (prefix: string, n: number, from: number) =>
  Array.from({ length: n }, (_, i) => row(`${prefix}-${i}`, from + i));

/** The server's pages over `log`: newest first, `limit` a page, under the query's `to`. */
function pageOf(log: readonly AuditRecord[], query: URLSearchParams, limit = 50) {
  const to = query.get("to");
  const cursor = query.get("cursor");
  const below = cursor === null ? Number.POSITIVE_INFINITY : Number(cursor);
  const shown = [...log]
    .sort((a, b) => b.startedAt - a.startedAt)
    .filter((r) => r.startedAt < below && (to === null || r.startedAt < Number(to)));
  const records = shown.slice(0, limit);
  const last = records.at(-1);
  return {
    records,
    nextCursor: shown.length > limit && last ? String(last.startedAt) : null,
  };
}

/** Every "Load older" until there is none. */
function loadAllOlder(list: RequestList, log: readonly AuditRecord[]): RequestList {
  let current = list;
  while (current.older)
    current = withOlderPage(current, pageOf(log, olderQuery(toQuery(NO_FILTERS), current.older)));
  return current;
}

const idsOf = (list: RequestList) => list.records.map((r) => r.requestId);

describe("the Requests page's list", () => {
  test("live rows past the cap push the first page's oldest rows out, and Load older reads them again: none skipped", () => {
    const seeds = rows("seed", 120, T0);
    const first = withFirstPage(EMPTY_LIST, pageOf(seeds, toQuery(NO_FILTERS)), NO_FILTERS);
    let list = first;
    const live = rows("live", LIVE_MAX - 20, T0 + 1000);
    for (const record of live) list = withLiveRow(list, record);
    expect(list.records.length).toBe(LIVE_MAX);
    const all = loadAllOlder(list, [...seeds, ...live]);
    const listedSeeds = idsOf(all).filter((id) => id.startsWith("seed-"));
    expect(listedSeeds).toEqual(seeds.map((r) => r.requestId).reverse());
  });

  test("rows pushed out when no older page was left still offer Load older", () => {
    const seeds = rows("seed", 10, T0);
    let list = withFirstPage(EMPTY_LIST, pageOf(seeds, toQuery(NO_FILTERS)), NO_FILTERS);
    expect(list.older).toBeNull();
    const live = rows("live", LIVE_MAX, T0 + 1000);
    for (const record of live) list = withLiveRow(list, record);
    expect(list.older).not.toBeNull();
    expect(
      idsOf(loadAllOlder(list, [...seeds, ...live])).filter((id) => id.startsWith("seed-")),
    ).toHaveLength(10);
  });

  test("a long request listed live is not listed again by the older page its start puts it on", () => {
    const slow = row("the-slow-one", T0);
    const quick = rows("quick", 60, T0 + 1);
    let list = withFirstPage(EMPTY_LIST, pageOf(quick, toQuery(NO_FILTERS)), NO_FILTERS);
    list = withLiveRow(list, slow);
    list = loadAllOlder(list, [slow, ...quick]);
    expect(idsOf(list).filter((id) => id === "the-slow-one")).toHaveLength(1);
    expect(list.records).toHaveLength(61);
  });

  test("a row that finished while a first page was read, started before its newest row, stays listed, once, and Load older reads on from the page", () => {
    const quick = rows("quick", 60, T0 + 1);
    // Started among the page's rows, its audit row is written after the page was read.
    const late = row("late", T0 + 41);
    let list = withLiveRow(EMPTY_LIST, row("before", T0 - 5000));
    list = withLiveRow(list, late);
    list = withFirstPage(list, pageOf(quick, toQuery(NO_FILTERS)), NO_FILTERS);
    expect(idsOf(list).slice(0, 3)).toEqual(["late", "before", "quick-59"]);
    // A later first page (a reconnect) that holds it lists it once, where its start puts it.
    const again = withFirstPage(list, pageOf([late, ...quick], toQuery(NO_FILTERS), 60), NO_FILTERS);
    expect(idsOf(again).filter((id) => id === "late")).toEqual(["late"]);
    const all = loadAllOlder(list, [late, ...quick]);
    expect(idsOf(all).filter((id) => id === "late")).toHaveLength(1);
    expect(all.records).toHaveLength(62);
  });

  test("a live row listed already (read by a first page while its event was on the way) is not added twice", () => {
    const log = rows("r", 3, T0);
    const list = withFirstPage(EMPTY_LIST, pageOf(log, toQuery(NO_FILTERS)), NO_FILTERS);
    expect(withLiveRow(list, log[2] as AuditRecord)).toBe(list);
  });

  test("live mode counts each row that finished since it began once, whether an event or a read of the log listed it", () => {
    // Live mode began after the log's three rows finished; the first read since (the connect's)
    // lists them and one that finished as the stream opened, by the gateway's clock, the page's
    // unread: none of them new by that read.
    const log = rows("r", 3, T0);
    const began: RequestList = { ...EMPTY_LIST, live: liveBegun() };
    const [readFirst, cameFirst, whileAway] = rows("new", 3, T0 + 200);
    const connect = withFirstPage(
      began,
      pageOf([...log, readFirst] as AuditRecord[], toQuery(NO_FILTERS)),
      NO_FILTERS,
    );
    expect(connect.live?.count).toBe(0);
    // Its event, the next one's, and that one's again: one more row.
    const drawn = withLiveRows(connect, [readFirst, cameFirst, cameFirst] as AuditRecord[]);
    expect([idsOf(drawn).slice(0, 2), drawn.live?.count]).toEqual([["new-1", "new-0"], 2]);
    // A reconnect's read: what finished while the stream was away is counted, what came already not.
    const all = [...log, readFirst, cameFirst, whileAway] as AuditRecord[];
    const reread = withFirstPage(drawn, pageOf(all, toQuery(NO_FILTERS)), NO_FILTERS);
    expect(reread.live?.count).toBe(3);
    // A row whose event came is new whatever the clocks say (this one finished before the first read's):
    // the stream carries only what finished once it was open.
    expect(withLiveRow(reread, log[2] as AuditRecord).live?.count).toBe(4);
    // Before live mode (or once it is off) nothing is counted.
    expect(withFirstPage(EMPTY_LIST, pageOf(all, toQuery(NO_FILTERS)), NO_FILTERS).live).toBeNull();
  });

  test("live mode keeps counting past the cap, remembering only the listed rows it counted", () => {
    let list: RequestList = { ...EMPTY_LIST, live: liveBegun() };
    const live = rows("live", LIVE_MAX + 40, T0 + 10);
    for (let at = 0; at < live.length; at += 25) list = withLiveRows(list, live.slice(at, at + 25));
    expect(list.live?.count).toBe(LIVE_MAX + 40);
    expect(list.live?.counted.size).toBeLessThanOrEqual(list.records.length);
  });

  test("the bound on older pages stays under the filters' own `to`", () => {
    const filtered = toQuery({ ...NO_FILTERS, to: "2023-11-14T22:13:20" });
    const to = Number(filtered.get("to"));
    expect(olderQuery(filtered, { cursor: null, before: to + 5 }).get("to")).toBe(String(to));
    expect(olderQuery(filtered, { cursor: "c", before: to - 5 }).get("to")).toBe(String(to - 5));
    expect(olderQuery(filtered, { cursor: "c", before: null }).get("cursor")).toBe("c");
  });
});
