import { formatFilter, parseFilter, type TailFilter } from "./tail-filter.ts";
import type { RequestRow } from "./tail-store.ts";

/** What the viewer has chosen, apart from the data: pause, panes, filter, selection. */
export interface UiState {
  /** While paused, the table shows these rows; new events keep arriving into the store. */
  frozen: RequestRow[] | null;
  /** `store.nextSeq` when paused: the rows from there on are the requests new since. */
  pausedAt: number;
  showWorkers: boolean;
  /** The admin API's own calls are in the table and the header's figures (`--admin`, `a`). */
  showAdmin: boolean;
  prompt: { text: string; error: string | null } | null;
  filter: TailFilter;
  /** The selected row's `seq` (request ids may repeat). */
  selected: number | null;
  detail: RequestRow | null;
  /** First field line shown in the detail view (it scrolls when taller than the screen). */
  detailOffset: number;
  /** Set by `q`; the app exits when it sees it. */
  quit: boolean;
}

export type UiAction =
  | { type: "togglePause"; rows: RequestRow[]; nextSeq: number }
  | { type: "toggleWorkers" }
  | { type: "toggleAdmin" }
  | { type: "openPrompt" }
  | { type: "promptType"; text: string }
  | { type: "promptBackspace" }
  | { type: "promptSubmit" }
  | { type: "promptCancel" }
  | { type: "move"; delta: number; visible: RequestRow[] }
  | { type: "openDetail"; visible: RequestRow[] }
  | { type: "closeDetail" }
  /** `end`: the last offset the detail view shows (its last page full). */
  | { type: "scrollDetail"; delta: number; end: number }
  | { type: "quit" };

/** The view as it starts: the command line's filter, and whether it asked for admin calls. */
export const initialUiState = (filter: TailFilter, showAdmin = false): UiState => ({
  frozen: null,
  pausedAt: 0,
  showWorkers: false,
  showAdmin,
  prompt: null,
  filter,
  selected: null,
  detail: null,
  detailOffset: 0,
  quit: false,
});

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case "togglePause":
      return state.frozen === null
        ? { ...state, frozen: action.rows, pausedAt: action.nextSeq }
        : { ...state, frozen: null };
    case "toggleWorkers":
      return { ...state, showWorkers: !state.showWorkers };
    case "toggleAdmin":
      return { ...state, showAdmin: !state.showAdmin };
    case "openPrompt":
      return { ...state, prompt: { text: formatFilter(state.filter), error: null } };
    case "promptType":
      return state.prompt === null
        ? state
        : { ...state, prompt: { text: state.prompt.text + action.text, error: null } };
    case "promptBackspace":
      return state.prompt === null
        ? state
        : { ...state, prompt: { text: state.prompt.text.slice(0, -1), error: null } };
    case "promptSubmit": {
      if (state.prompt === null) return state;
      const parsed = parseFilter(state.prompt.text);
      if (!parsed.ok) return { ...state, prompt: { ...state.prompt, error: parsed.error } };
      return { ...state, prompt: null, filter: parsed.filter, selected: null };
    }
    case "promptCancel":
      return { ...state, prompt: null };
    case "move":
      return { ...state, selected: moveSelection(state.selected, action.delta, action.visible) };
    case "openDetail": {
      const row = action.visible.find((r) => r.seq === state.selected);
      return row === undefined ? state : { ...state, detail: row, detailOffset: 0 };
    }
    case "closeDetail":
      return { ...state, detail: null };
    case "quit":
      return { ...state, quit: true };
    case "scrollDetail": {
      // From where the view stands (a taller terminal may have lowered the end): a press past
      // the end is not banked, or the next press up would only pay it back, the page standing still.
      const shown = Math.min(state.detailOffset, action.end);
      return { ...state, detailOffset: Math.max(0, Math.min(action.end, shown + action.delta)) };
    }
  }
}

/** Moves within the visible rows; from no selection, down picks the newest row. */
function moveSelection(current: number | null, delta: number, visible: RequestRow[]): number | null {
  if (visible.length === 0) return null;
  const index = visible.findIndex((r) => r.seq === current);
  const next = index === -1 ? (delta > 0 ? 0 : visible.length - 1) : index + delta;
  return visible[Math.max(0, Math.min(visible.length - 1, next))]?.seq ?? null;
}
