import { useLayoutEffect, useRef } from "preact/hooks";
import { type FocusBack, focusBackLater } from "./focus-back.ts";

/**
 * Keeps keyboard focus on a list that reloads under it. Call `keepFocusOnReload` as the control
 * the user pressed asks for the reload (a caller's name in a row, "Load older"): focus can leave
 * it meanwhile — Chromium drops focus from a button disabled while the page loads, and a control
 * whose row the new list leaves out (a row older than the filter's first page, a page that cannot
 * be read, "Load older" with the last page) goes with focus on it — and would fall to the top of
 * the page. When `shown` has changed (the new list, or its failure, rendered) and `loading` is
 * over, or loading is over with `shown` as it was (a page that could not be read, a failed revoke),
 * if focus is on the page itself and the user has not moved it meanwhile (`focusBackLater`), it
 * goes back to the control if it is still there to use, else to `list` (give it `tabIndex={-1}`).
 */
export function useFocusFallback<T extends HTMLElement>(shown: unknown, loading: boolean) {
  const list = useRef<T>(null);
  const control = useRef<HTMLElement | null>(null);
  /**
   * What was shown when the reload was asked for, whether it has been loading since, and the focus
   * to give back once it is in; undefined when none is awaited.
   */
  const before = useRef<{ shown: unknown; loaded: boolean; focus: FocusBack } | undefined>(undefined);
  // After each render: the reload's outcome is in once loading is over and `shown` has changed, or
  // it had started loading (a failure leaves the list as it was): the control, disabled while
  // loading, can take focus again. Left pending, a later change (a live row) would move focus.
  useLayoutEffect(() => {
    const awaited = before.current;
    if (!awaited) return;
    if (loading) {
      awaited.loaded = true;
      return;
    }
    if (awaited.shown === shown && !awaited.loaded) return;
    before.current = undefined;
    const pressed = control.current;
    control.current = null;
    awaited.focus.give(pressed, list.current);
  });
  useLayoutEffect(() => () => before.current?.focus.stop(), []);
  const keepFocusOnReload = () => {
    before.current?.focus.stop();
    before.current = { shown, loaded: false, focus: focusBackLater() };
    // Focus already on the page itself (a confirm's Revoke, disabled while it counted) is no
    // control to go back to: the list takes it.
    const at = document.activeElement;
    control.current = at instanceof HTMLElement && at !== document.body ? at : null;
  };
  return { list, keepFocusOnReload };
}
