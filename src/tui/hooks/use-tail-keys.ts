import { useInput, useStdin } from "ink";
import type { Dispatch } from "react";
import type { KeyAction } from "../key-bindings.ts";
import type { RequestRow, TailStore } from "../tail-store.ts";
import type { UiAction } from "../ui-state.ts";

/**
 * Feeds key presses to the reducer (see key-bindings.ts) with the rows they act on. Input is
 * only read when stdin can go raw, so a piped stdin does not crash the view.
 */
export function useTailKeys(
  dispatch: Dispatch<UiAction | KeyAction>,
  store: TailStore,
  visible: RequestRow[],
  /** The open detail view's last offset (`detailEnd`), 0 when none is open. */
  detailEnd: number,
): void {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) =>
      dispatch({ type: "key", input, key, visible, all: store.rows(), nextSeq: store.nextSeq, detailEnd }),
    { isActive: isRawModeSupported },
  );
}
