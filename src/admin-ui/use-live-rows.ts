import { type Dispatch, type StateUpdater, useEffect, useState } from "preact/hooks";
import type { AuditRecord } from "../audit/audit-record.ts";
import { followEvents } from "./api.ts";
import { liveBegun } from "./live-count.ts";
import { type AuditFilters, matchesFilters } from "./request-filters.ts";
import { type RequestList, withLiveRows } from "./request-list.ts";

/**
 * How often, at most, rows that came live are drawn (ms): under hundreds of requests a second the
 * table is drawn a few times a second, many rows at a time, not once per event.
 */
export const LIVE_DRAW_MS = 250;

/**
 * The Requests page's live mode: each `request.finished` event its filters match is held until the
 * next draw, then all of them listed at once (`withLiveRows`), none lost. `onConnect` runs at each
 * connect of the stream, which has no replay: the page reads the log then. Whether the stream is
 * connected, for the page to show.
 */
export function useLiveRows(
  live: boolean,
  filters: AuditFilters,
  setList: Dispatch<StateUpdater<RequestList>>,
  onConnect: () => void,
): boolean {
  const [connected, setConnected] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `onConnect` is made anew with each render, of `filters` alone
  useEffect(() => {
    if (!live) return;
    // What the page says came is counted from here: live mode turned on, or its filters changed
    // (from the next read of the log, by the gateway's clock: live-count.ts).
    setList((current) => ({ ...current, live: liveBegun() }));
    const stop = new AbortController();
    let held: AuditRecord[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const draw = () => {
      timer = undefined;
      const batch = held;
      held = [];
      setList((current) => withLiveRows(current, batch));
    };
    void followEvents(
      (event) => {
        if (stop.signal.aborted || event.type !== "request.finished") return;
        if (!matchesFilters(event.record, filters)) return;
        held.push(event.record);
        timer ??= setTimeout(draw, LIVE_DRAW_MS);
      },
      stop.signal,
      (up) => {
        setConnected(up);
        if (up) onConnect();
      },
    );
    return () => {
      stop.abort();
      // Rows that came before live mode was turned off are listed still (under other filters, the
      // first page read for them keeps only those that match).
      if (timer !== undefined) {
        clearTimeout(timer);
        draw();
      }
      setList((current) => ({ ...current, live: null }));
      setConnected(false);
    };
  }, [live, filters]);
  return connected;
}
