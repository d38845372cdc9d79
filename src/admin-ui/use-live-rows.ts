import { type Dispatch, type StateUpdater, useEffect, useState } from "preact/hooks";
import type { AuditRecord } from "../audit/audit-record.ts";
import { nodesOwn, notAnsweredWords } from "../core/unanswered-words.ts";
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
 * How long after a cluster node did not answer the stream's ask (`node.unanswered`) the page reads
 * the log again (ms): the longest `audit.flush_ms`, within which a node slow to hear the ask has
 * written the rows it held (a killed node's never come).
 */
export const UNANSWERED_REREAD_MS = 10_000;

/**
 * The Requests page's line on the nodes that did not answer as the stream opened, in `mindgw
 * tail`'s words: their last requests may not show yet, until the log is read again; then those
 * not written by that read will not (a killed node's).
 */
export function unansweredLine(nodes: readonly string[], reread: boolean): string {
  const said = notAnsweredWords(nodes);
  const then = reread
    ? `the log was read again ${UNANSWERED_REREAD_MS / 1000} s later; ${nodesOwn(nodes)} requests not written by then will not show`
    : `${nodesOwn(nodes)} last requests may not show yet`;
  return `${said.charAt(0).toUpperCase()}${said.slice(1)}: ${then}.`;
}

/**
 * What live mode shows: whether the stream is connected, the nodes that did not answer as it
 * opened, and whether the log has been read again since (`UNANSWERED_REREAD_MS`).
 */
export interface LiveState {
  readonly connected: boolean;
  readonly unanswered: readonly string[];
  readonly reread: boolean;
}

/**
 * The Requests page's live mode: each `request.finished` event its filters match is held until the
 * next draw, then all of them listed at once (`withLiveRows`), none lost. `onConnect` runs at each
 * connect of the stream, which has no replay: the page reads the log then, and once more
 * `UNANSWERED_REREAD_MS` after a node did not answer as it opened (its rows may not be written
 * yet). Whether the stream is connected, and those nodes (as `mindgw tail` names them: until their
 * `node.left` or the next connect), for the page to show.
 */
export function useLiveRows(
  live: boolean,
  filters: AuditFilters,
  setList: Dispatch<StateUpdater<RequestList>>,
  onConnect: () => void,
): LiveState {
  const [connected, setConnected] = useState(false);
  const [unanswered, setUnanswered] = useState<readonly string[]>([]);
  const [reread, setReread] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `onConnect` is made anew with each render, of `filters` alone
  useEffect(() => {
    if (!live) return;
    // What the page says came is counted from here: live mode turned on, or its filters changed
    // (from the next read of the log, by the gateway's clock: live-count.ts).
    setList((current) => ({ ...current, live: liveBegun() }));
    const stop = new AbortController();
    let held: AuditRecord[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let rereadTimer: ReturnType<typeof setTimeout> | undefined;
    const readAgain = () => {
      setReread(true);
      onConnect();
    };
    const draw = () => {
      timer = undefined;
      const batch = held;
      held = [];
      setList((current) => withLiveRows(current, batch));
    };
    void followEvents(
      (event) => {
        if (stop.signal.aborted) return;
        if (event.type === "node.unanswered") {
          setUnanswered((nodes) => (nodes.includes(event.node) ? nodes : [...nodes, event.node]));
          rereadTimer ??= setTimeout(readAgain, UNANSWERED_REREAD_MS);
          return;
        }
        if (event.type === "node.left") setUnanswered((nodes) => nodes.filter((node) => node !== event.node));
        if (event.type !== "request.finished" || !matchesFilters(event.record, filters)) return;
        held.push(event.record);
        timer ??= setTimeout(draw, LIVE_DRAW_MS);
      },
      stop.signal,
      (up) => {
        setConnected(up);
        if (!up) return;
        // A new stream names anew the nodes that do not answer it, each said first.
        clearTimeout(rereadTimer);
        rereadTimer = undefined;
        setUnanswered([]);
        setReread(false);
        onConnect();
      },
    );
    return () => {
      stop.abort();
      clearTimeout(rereadTimer);
      setUnanswered([]);
      setReread(false);
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
  return { connected, unanswered, reread };
}
