import { type Key, useInput, useStdin } from "ink";
import type { Dispatch } from "react";
import type { RequestRow, TailStore } from "../tail-store.ts";
import type { UiAction, UiState } from "../ui-state.ts";

/** Context the key bindings need beyond the UI state. */
export interface TailKeysContext {
  state: UiState;
  dispatch: Dispatch<UiAction>;
  store: TailStore;
  /** The filtered rows in table order (arrows move within these). */
  rows: RequestRow[];
  quit: () => void;
}

/**
 * The key bindings: the filter prompt takes every key while open, the detail view closes on
 * Esc/Enter, and otherwise space pauses, `/` filters, `w` toggles workers, arrows and Enter
 * select and open, `q` quits. Ctrl-C is ink's own `exitOnCtrlC`.
 */
export function useTailKeys(context: TailKeysContext): void {
  const { isRawModeSupported } = useStdin();
  useInput((input, key) => handleKey(context, input, key), { isActive: isRawModeSupported });
}

function handleKey({ state, dispatch, store, rows, quit }: TailKeysContext, input: string, key: Key): void {
  if (state.prompt !== null) {
    if (key.escape) dispatch({ type: "promptCancel" });
    else if (key.return) dispatch({ type: "promptSubmit" });
    else if (key.backspace || key.delete) dispatch({ type: "promptBackspace" });
    else if (!key.ctrl && !key.meta && input !== "" && isPrintable(input)) {
      dispatch({ type: "promptType", text: input });
    }
    return;
  }
  if (input === "q") {
    quit();
    return;
  }
  if (state.detail !== null) {
    if (key.escape || key.return) dispatch({ type: "closeDetail" });
    return;
  }
  if (input === " ") dispatch({ type: "togglePause", rows: store.rows(), received: store.received });
  else if (input === "w") dispatch({ type: "toggleWorkers" });
  else if (input === "/") dispatch({ type: "openPrompt" });
  else if (key.upArrow) dispatch({ type: "move", delta: -1, visible: rows });
  else if (key.downArrow) dispatch({ type: "move", delta: 1, visible: rows });
  else if (key.return) dispatch({ type: "openDetail", visible: rows });
}

/** Typed text only: no escape sequences or other control characters reach the prompt. */
function isPrintable(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code < 32 || code === 127) return false;
  }
  return true;
}
