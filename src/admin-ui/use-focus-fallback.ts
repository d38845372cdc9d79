import { useLayoutEffect, useRef } from "preact/hooks";

/**
 * Keeps keyboard focus on a list that reloads under it. Call `keepFocusOnReload` as the control
 * the user pressed asks for the reload (a caller's name in a row, "Load older"): focus can leave
 * it meanwhile — Chromium drops focus from a button disabled while the page loads, and a control
 * whose row the new list leaves out (a row older than the filter's first page, a page that cannot
 * be read, "Load older" with the last page) goes with focus on it — and would fall to the top of
 * the page. When `shown` has changed (the new list, or its failure, rendered) and `loading` is
 * over, if focus is on the page itself, it goes back to the control if it is still there to use, else to `list` (give
 * it `tabIndex={-1}`).
 */
export function useFocusFallback<T extends HTMLElement>(shown: unknown, loading: boolean) {
  const list = useRef<T>(null);
  const control = useRef<HTMLElement | null>(null);
  /** What was shown when the reload was asked for; undefined when none is awaited. */
  const before = useRef<{ shown: unknown } | undefined>(undefined);
  // After each render: the reload's outcome is in once `shown` has changed and loading is over
  // (the control, disabled while loading, can take focus again).
  useLayoutEffect(() => {
    if (!before.current || loading || before.current.shown === shown) return;
    before.current = undefined;
    const at = document.activeElement;
    const pressed = control.current;
    control.current = null;
    // Focus the user moved elsewhere meanwhile stays where they put it.
    if (at !== null && at !== document.body) return;
    if (pressed?.isConnected && !pressed.matches(":disabled")) pressed.focus();
    else list.current?.focus();
  });
  const keepFocusOnReload = () => {
    before.current = { shown };
    control.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  };
  return { list, keepFocusOnReload };
}
