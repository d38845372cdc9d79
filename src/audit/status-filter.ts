import { shown } from "../core/cut-words.ts";
import { isStatusClass, type StatusClass } from "./audit-record.ts";

/** What a status filter accepts, for a message refusing one (the audit query, `mindgw tail`). */
export const STATUS_FILTER_HINT = "use a class like 4xx or a code like 429";

/**
 * A status filter refused, as the audit query and `mindgw tail` word it after the field or flag
 * (`--status: "9xx": use a class like 4xx …`): the value quoted, cut to a message's length.
 */
export const statusFilterRefusal = (text: string): string => `"${shown(text)}": ${STATUS_FILTER_HINT}`;

/**
 * A status filter's text: a class (`4xx`, `4XX`: 1xx … 5xx) or an exact status (100 … 599);
 * undefined for anything else (`6xx`, `4xx,5xx`, `42`).
 */
export function parseStatusFilter(text: string): StatusClass | number | undefined {
  const lower = text.toLowerCase();
  if (isStatusClass(lower)) return lower;
  const code = /^\d{3}$/.test(lower) ? Number(lower) : Number.NaN;
  return code >= 100 && code <= 599 ? code : undefined;
}
