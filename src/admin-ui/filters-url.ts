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
