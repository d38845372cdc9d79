// A page's filters in its address (Requests, Shadow, Activity), so a reload, Back and a copied
// link keep them.

/** How a page writes its filters in its query string and reads them back. */
export interface FiltersForm<F> {
  /** The filters as the page's query string (`?model=…`; "" for none), trimmed; empty fields left out. */
  toSearch(filters: F): string;
  /** The filters a query string names, trimmed as `toSearch` writes them; anything else in it is ignored. */
  fromSearch(search: string): F;
}

/**
 * The form of filters that are text fields (`text`: each field's query parameter) and switches
 * (`switches`: each one's parameter, written `=1` when on), in that order.
 */
export function filtersForm<T extends string, S extends string = never>(
  text: Record<T, string>,
  switches?: Record<S, string>,
): FiltersForm<Record<T, string> & Record<S, boolean>> {
  const textFields = Object.entries(text) as [T, string][];
  const switchFields = Object.entries(switches ?? {}) as [S, string][];
  return {
    toSearch(filters) {
      const texts: Record<T, string> = filters;
      const on: Record<S, boolean> = filters;
      const search = new URLSearchParams();
      for (const [field, param] of textFields)
        if (texts[field].trim()) search.set(param, texts[field].trim());
      for (const [field, param] of switchFields) if (on[field]) search.set(param, "1");
      const written = search.toString();
      return written ? `?${written}` : "";
    },
    fromSearch(search) {
      const params = new URLSearchParams(search);
      const filters: Record<string, string | boolean> = {};
      for (const [field, param] of textFields) filters[field] = params.get(param)?.trim() ?? "";
      for (const [field, param] of switchFields) filters[field] = params.get(param) === "1";
      return filters as Record<T, string> & Record<S, boolean>;
    },
  };
}

/**
 * How the address follows the page's filters: a new history entry only when they differ from the
 * ones the address names ("push"); the same filters written another way (`?admin=1&model=x`,
 * `%20` for a space, a parameter the page does not read) tidied in place ("replace"), never
 * pushed: Back would land on the untidy address, whose filters would push it again, and the page
 * could never be left; "none" when the address already reads as the filters are written.
 */
export function historyStep<F>(
  form: FiltersForm<F>,
  search: string,
  filters: F,
): "push" | "replace" | "none" {
  const wanted = form.toSearch(filters);
  if (wanted === search) return "none";
  return wanted === form.toSearch(form.fromSearch(search)) ? "replace" : "push";
}
