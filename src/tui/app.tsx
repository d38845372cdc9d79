import { Box, useApp, useWindowSize } from "ink";
import { useEffect, useMemo, useReducer } from "react";
import { ConnectionLine } from "./components/connection-line.tsx";
import { DetailView, detailEnd } from "./components/detail-view.tsx";
import { FilterPrompt } from "./components/filter-prompt.tsx";
import { Footer } from "./components/footer.tsx";
import { Header } from "./components/header.tsx";
import { RequestTable } from "./components/request-table.tsx";
import { WorkersPane } from "./components/workers-pane.tsx";
import { useRedrawFromTopOnResize } from "./hooks/use-redraw-from-top.ts";
import { useStoreTick } from "./hooks/use-store-tick.ts";
import { useTailKeys } from "./hooks/use-tail-keys.ts";
import { tailReducer } from "./key-bindings.ts";
import { layoutColumns, widestCells } from "./table-layout.ts";
import { matchesFilter, type TailFilter } from "./tail-filter.ts";
import type { RequestRow, TailStore } from "./tail-store.ts";
import { initialUiState } from "./ui-state.ts";

export interface TailAppProps {
  store: TailStore;
  /** The gateway as shown (no credentials). */
  label: string;
  /** The one tenant whose part is read (`--tenant`): named with the filters, which `/` does not change. */
  tenant?: string;
  initialFilter: TailFilter;
  /** Show the admin API's own calls from the start (`--admin`); `a` toggles them. */
  showAdmin?: boolean;
  /** How often buffered events may redraw the screen; 100 ms = at most 10 frames/s. */
  flushMs?: number;
  /**
   * On the alternate screen: ink's `clear()`, so each resize redraws the whole screen from
   * its top (see use-redraw-from-top.ts). Unset, resizes are left to ink alone.
   */
  forgetFrame?: () => void;
}

const MAX_WORKER_LINES = 6;

/** `mindgw tail`'s interactive screen. It reads the store; it never subscribes per event. */
export function TailApp({
  store,
  label,
  tenant,
  initialFilter,
  showAdmin = false,
  flushMs = 100,
  forgetFrame,
}: TailAppProps) {
  const { exit } = useApp();
  useRedrawFromTopOnResize(forgetFrame);
  const { columns: width, rows: height } = useWindowSize();
  const tick = useStoreTick(store, flushMs);
  const [ui, dispatch] = useReducer(tailReducer, undefined, () => initialUiState(initialFilter, showAdmin));
  const shown = (row: RequestRow) => (ui.showAdmin || !row.admin) && matchesFilter(ui.filter, row);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is what tells us the store changed.
  const rows = useMemo(
    () => (ui.frozen ?? store.rows()).filter(shown),
    [tick, ui.frozen, ui.filter, ui.showAdmin, store],
  );
  // Over every row the filter shows, not the screenful: the columns keep still as it scrolls.
  const widest = useMemo(() => widestCells(rows), [rows]);
  const now = Date.now();
  // Follow the request while its detail is open: an in-flight row gains its record on finish.
  const detail = ui.detail === null ? null : (store.row(ui.detail.seq) ?? ui.detail);
  const workers = ui.showWorkers ? store.workers() : [];
  // Stay one line short of the terminal: a frame as tall as the screen makes ink clear and flicker.
  // Five lines are the connection, the header, the table's titles, the footer and that spare; the
  // workers pane (its title, the workers, a "+N more") takes what leaves the table one row.
  const workerRows = Math.min(MAX_WORKER_LINES, Math.max(0, height - 5 - 1 - 2));
  const workerLines = ui.showWorkers ? Math.min(workers.length, workerRows) + 2 : 0;
  const tableRows = Math.max(1, height - 5 - workerLines);
  useTailKeys(dispatch, store, rows, detail === null ? 0 : detailEnd(detail, width, tableRows + 1));
  useEffect(() => {
    if (ui.quit) exit();
  }, [ui.quit, exit]);
  const selected = rows.findIndex((row) => row.seq === ui.selected);
  const offset = selected >= tableRows ? selected - tableRows + 1 : 0;

  return (
    <Box flexDirection="column">
      <ConnectionLine label={label} status={store.status} now={now} width={width} />
      <Header stats={store.stats(ui.showAdmin)} />
      {ui.showWorkers ? (
        <WorkersPane
          workers={workers}
          now={now}
          width={width}
          maxRows={workerRows}
          visible={store.workersVisible}
          read={store.workersRead}
          unread={store.workersUnread}
          heartbeats={store.heartbeatBounds}
        />
      ) : null}
      {detail === null ? (
        <RequestTable
          rows={rows.slice(offset, offset + tableRows)}
          columns={layoutColumns(width, widest)}
          selected={ui.selected}
        />
      ) : (
        <DetailView row={detail} width={width} height={tableRows + 1} offset={ui.detailOffset} />
      )}
      {ui.prompt === null ? (
        <Footer
          paused={ui.frozen !== null}
          newSincePause={
            ui.frozen === null ? 0 : store.rows().filter((row) => row.seq >= ui.pausedAt && shown(row)).length
          }
          filter={ui.filter}
          tenant={tenant}
          showAdmin={ui.showAdmin}
          missed={store.missed}
          notice={store.notice}
          unanswered={store.unansweredNotice}
        />
      ) : (
        <FilterPrompt text={ui.prompt.text} error={ui.prompt.error} width={width} />
      )}
    </Box>
  );
}
