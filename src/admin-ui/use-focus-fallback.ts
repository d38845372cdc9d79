import { useLayoutEffect, useRef } from "preact/hooks";

/**
 * Keeps keyboard focus on a list that reloads under it. A control that narrows the list (a
 * caller's name in a row) stays focused when its row is in the list the filter reads; when it is
 * not (a row older than the filter's first page, or a page that cannot be read) the element goes
 * with focus on it, and focus falls to the top of the page. Call `keepFocusOnReload` as the
 * reload is asked for: when `shown` next changes (the new list, or its failure, rendered) and
 * focus has fallen to the page itself, it goes to `list` (give it `tabIndex={-1}`).
 */
export function useFocusFallback<T extends HTMLElement>(shown: unknown) {
  const list = useRef<T>(null);
  const reloading = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shown` changing is the reload having rendered
  useLayoutEffect(() => {
    if (!reloading.current) return;
    reloading.current = false;
    const at = document.activeElement;
    // Focus the user moved elsewhere meanwhile stays where they put it.
    if (at === null || at === document.body) list.current?.focus();
  }, [shown]);
  const keepFocusOnReload = () => {
    reloading.current = true;
  };
  return { list, keepFocusOnReload };
}
