import { useEffect, useRef } from "preact/hooks";
import { type FiltersForm, historyStep } from "./filters-url.ts";

/**
 * Keeps a page's applied filters in its address (read them at start with `form.fromSearch(
 * location.search)`): each change of `filters` is a history entry, or tidies the address in place
 * (filters-url.ts historyStep), and Back or Forward to another entry of the page hands its filters
 * to `restore`, for the form and the list.
 */
export function useFiltersInAddress<F>(
  form: FiltersForm<F>,
  pagePath: string,
  filters: F,
  restore: (filters: F) => void,
): void {
  const latestRestore = useRef(restore);
  latestRestore.current = restore;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the address follows the filters alone
  useEffect(() => {
    const step = historyStep(form, location.search, filters);
    const address = `${location.pathname}${form.toSearch(filters)}`;
    if (step === "push") history.pushState(null, "", address);
    else if (step === "replace") history.replaceState(history.state, "", address);
  }, [filters]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one listener for the page's life
  useEffect(() => {
    const onPop = () => {
      if (location.pathname.startsWith(pagePath)) latestRestore.current(form.fromSearch(location.search));
    };
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
}
