import { type AuditFilters, NO_FILTERS } from "./request-filters.ts";

// The Requests page's filters in its address, so a reload, Back and a copied link keep them.
const TEXT_FIELDS = ["key", "model", "route", "app", "status", "from", "to"] as const;

/** The filters as the page's query string (`?model=…`; "" for none), as typed; empty fields left out. */
export function filtersToSearch(filters: AuditFilters): string {
  const search = new URLSearchParams();
  for (const name of TEXT_FIELDS) if (filters[name].trim()) search.set(name, filters[name].trim());
  if (filters.showAdmin) search.set("admin", "1");
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The filters a query string names; anything else in it is ignored. */
export function filtersFromSearch(search: string): AuditFilters {
  const params = new URLSearchParams(search);
  const filters: AuditFilters = { ...NO_FILTERS, showAdmin: params.get("admin") === "1" };
  for (const name of TEXT_FIELDS) filters[name] = params.get(name) ?? "";
  return filters;
}

/**
 * How the address follows the page's filters: a new history entry only when they differ from the
 * ones the address names ("push"); the same filters written another way (`?admin=1&model=x`,
 * `%20` for a space, a parameter the page does not read) tidied in place ("replace"), never
 * pushed: Back would land on the untidy address, whose filters would push it again, and the page
 * could never be left; "none" when the address already reads as the filters are written.
 */
export function historyStep(search: string, filters: AuditFilters): "push" | "replace" | "none" {
  const wanted = filtersToSearch(filters);
  if (wanted === search) return "none";
  return wanted === filtersToSearch(filtersFromSearch(search)) ? "replace" : "push";
}
