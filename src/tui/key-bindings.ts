import type { RequestRow } from "./tail-store.ts";
import { type UiAction, type UiState, uiReducer } from "./ui-state.ts";

/** The parts of ink's `Key` the bindings read. */
export interface KeyPress {
  upArrow: boolean;
  downArrow: boolean;
  return: boolean;
  escape: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
  meta: boolean;
}

/** One key press (or several typed faster than the terminal delivers them one by one). */
export interface KeyAction {
  type: "key";
  input: string;
  key: KeyPress;
  /** The filtered rows in table order: arrows move within these. */
  visible: RequestRow[];
  /** All held rows, newest first: what a pause freezes. */
  all: RequestRow[];
  /** `store.nextSeq` now: a pause counts the requests from there. */
  nextSeq: number;
  /** The last offset the open detail view scrolls to (`detailEnd`); 0 when none is open. */
  detailEnd: number;
}

/**
 * The key bindings, as a reducer so that keys arriving together (a fast typist, tmux
 * send-keys) each see the state the previous one left: while the filter prompt is open it
 * takes every key; the detail view scrolls and closes on Esc/Enter; otherwise space pauses,
 * `/` filters, `w` toggles workers, `a` the admin API's own calls, arrows and Enter select and
 * open, `q` quits.
 */
export function tailReducer(state: UiState, action: UiAction | KeyAction): UiState {
  if (action.type !== "key") return uiReducer(state, action);
  const presses = splitAtControls(action);
  if (presses !== null) return presses.reduce(tailReducer, state);
  if (state.prompt === null && action.input.length > 1 && isPrintable(action.input)) {
    return [...action.input].reduce((s, ch) => tailReducer(s, { ...action, input: ch }), state);
  }
  const next = keyToAction(state, action);
  return next === null ? state : tailReducer(state, next);
}

function keyToAction(
  state: UiState,
  { input, key, visible, all, nextSeq, detailEnd }: KeyAction,
): UiAction | KeyAction | null {
  if (state.prompt !== null) {
    if (key.escape) return { type: "promptCancel" };
    if (key.return) return { type: "promptSubmit" };
    if (key.backspace || key.delete) return { type: "promptBackspace" };
    if (!key.ctrl && !key.meta && input !== "" && isPrintable(input))
      return { type: "promptType", text: input };
    return null;
  }
  if (input === "q" || (key.ctrl && input === "c")) return { type: "quit" };
  if (state.detail !== null) {
    if (key.escape || key.return) return { type: "closeDetail" };
    if (key.upArrow) return { type: "scrollDetail", delta: -1, end: detailEnd };
    if (key.downArrow) return { type: "scrollDetail", delta: 1, end: detailEnd };
    return null;
  }
  if (key.ctrl || key.meta) return null;
  if (input === " ") return { type: "togglePause", rows: all, nextSeq };
  if (input === "w") return { type: "toggleWorkers" };
  if (input === "a") return { type: "toggleAdmin" };
  if (input === "/") return { type: "openPrompt" };
  if (key.upArrow) return { type: "move", delta: -1, visible };
  if (key.downArrow) return { type: "move", delta: 1, visible };
  if (key.return) return { type: "openDetail", visible };
  return null;
}

/** A key press with no special key held (a plain character; tests start from it). */
export const NO_KEY: KeyPress = {
  upArrow: false,
  downArrow: false,
  return: false,
  escape: false,
  backspace: false,
  delete: false,
  ctrl: false,
  meta: false,
};

/**
 * ink hands over text and a following Enter as one chunk when they arrive together (typed
 * fast over a slow link, pasted, tmux send-keys): `model:m2\r`. Split it into the text and
 * an Enter press, so the filter is applied instead of the whole chunk being dropped. Other
 * control characters in such a chunk are ignored. Null when there is no Enter to split at.
 */
function splitAtControls(action: KeyAction): KeyAction[] | null {
  const { input } = action;
  // An unknown escape sequence (ESC[Z) is one key, not text: leave it whole, to be ignored.
  if (input.length < 2 || !/[\r\n]/.test(input) || input.includes("\u001b")) return null;
  const presses: KeyAction[] = [];
  let text = "";
  const flush = () => {
    if (text !== "") presses.push({ ...action, input: text, key: NO_KEY });
    text = "";
  };
  for (const ch of input) {
    if (isPrintable(ch)) {
      text += ch;
      continue;
    }
    flush();
    if (ch === "\r" || ch === "\n") presses.push({ ...action, input: "", key: { ...NO_KEY, return: true } });
  }
  flush();
  return presses;
}

/** Typed text only: no escape sequences or other control characters reach the prompt. */
function isPrintable(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code < 32 || code === 127) return false;
  }
  return true;
}
