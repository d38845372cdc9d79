import { keyMatches } from "../audit/audit-query-key.ts";
import { routeMatches } from "../audit/audit-query-route.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { type FiltersForm, filtersForm } from "./filters-url.ts";

/** The Requests page's filters, as typed; empty means "any". */
export interface AuditFilters {
  key: string;
  model: string;
  route: string;
  /** The app (`apps:`) the request came through. */
  app: string;
  status: string;
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
  /**
   * Show the admin API's own calls (front door `admin`): off by default, since this page's polling
   * and every other admin call would bury the traffic.
   */
  showAdmin: boolean;
}

/** No filter set: every request but the admin API's own calls. */
export const NO_FILTERS: AuditFilters = {
  key: "",
  model: "",
  route: "",
  app: "",
  status: "",
  from: "",
  to: "",
  showAdmin: false,
};

/** The filters in the page's address: `?model=…&status=5xx&admin=1`, each as the API names it. */
export const REQUEST_FILTERS_FORM: FiltersForm<AuditFilters> = filtersForm(
  { key: "key", model: "model", route: "route", app: "app", status: "status", from: "from", to: "to" },
  { showAdmin: "admin" },
);

/** The filters as `/admin/api/audit` query parameters. */
export function toQuery(filters: AuditFilters): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of ["key", "model", "route", "app", "status"] as const) {
    const value = filters[name].trim();
    if (value) query.set(name, value);
  }
  if (filters.from) query.set("from", String(new Date(filters.from).getTime()));
  if (filters.to) query.set("to", String(new Date(filters.to).getTime()));
  if (!filters.showAdmin) query.set("exclude_front_door", "admin");
  return query;
}

/** Whether a live record belongs on the page under these filters (the server's rules, client-side). */
export function matchesFilters(record: AuditRecord, filters: AuditFilters): boolean {
  if (!filters.showAdmin && record.frontDoor === "admin") return false;
  const key = filters.key.trim();
  if (key && !keyMatches(key, record.keyId, record.keyName)) return false;
  if (filters.model.trim() && record.model !== filters.model.trim()) return false;
  if (filters.route.trim() && !routeMatches(filters.route.trim(), record.route)) return false;
  if (filters.app.trim() && record.app !== filters.app.trim()) return false;
  const status = filters.status;
  if (/^\dxx$/.test(status) && String(record.status)[0] !== status[0]) return false;
  if (/^\d{3}$/.test(status) && String(record.status) !== status) return false;
  if (filters.from && record.startedAt < new Date(filters.from).getTime()) return false;
  if (filters.to && record.startedAt >= new Date(filters.to).getTime()) return false;
  return true;
}
