import { shown } from "../core/cut-words.ts";
import type { JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { integerAboveMax, integerBelowMin } from "../core/integer-out-of-range.ts";
import { invalidValue } from "../core/invalid-value.ts";
import { listedInputItem } from "../translate/responses/listed-input-item.ts";
import { refuseUnknownIncludes } from "./response-includes.ts";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const ORDERS = ["asc", "desc"] as const;

/**
 * One page of a stored response's input items (oldest first in `items`, each with an id), as
 * OpenAI's `GET /v1/responses/{id}/input_items` answers: `limit` (1–100, default 20), `order`
 * (`desc` by default), `after` and `before` (item ids), `has_more`; an invalid parameter is a 400
 * naming it. The official SDK's auto-pagination asks for the next page with `after`.
 */
export function inputItemsPage(stored: readonly JsonObject[], query: URLSearchParams): JsonObject {
  const limit = limitOf(query.get("limit"));
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw invalidValue("order", order, ORDERS);
  refuseUnknownIncludes(query);
  const items = distinctIds(stored);
  const ordered = order === "asc" ? items : [...items].reverse();
  const after = query.get("after");
  const before = query.get("before");
  const start = after === null ? 0 : positionOf(ordered, after, "after") + 1;
  const end = before === null ? ordered.length : positionOf(ordered, before, "before");
  const window = ordered.slice(start, Math.max(start, end));
  // With only `before`, the page is the items just before it, as a backward cursor reads.
  const page = before !== null && after === null ? window.slice(-limit) : window.slice(0, limit);
  const data = page.map(listedInputItem);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: window.length > page.length,
  };
}

function limitOf(text: string | null): number {
  if (text === null) return DEFAULT_LIMIT;
  if (!/^-?\d+$/.test(text))
    throw badRequest(`Invalid 'limit': expected an integer, but got '${shown(text)}' instead.`, "limit");
  const limit = Number(text);
  if (limit < 1) throw integerBelowMin("limit", 1, limit);
  if (limit > MAX_LIMIT) throw integerAboveMax("limit", MAX_LIMIT, limit);
  return limit;
}

function positionOf(items: readonly JsonObject[], id: string, param: "after" | "before"): number {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0)
    throw badRequest(`Invalid '${param}': no input item of this response has id '${shown(id)}'.`, param);
  return index;
}

/**
 * `items` with no id twice, so that each id names one place to page from: an id met again (a
 * translated stream's text, a call, then more text, stored by an earlier release as two messages
 * of one id; or a client's own ids) is listed as `<id>_<n>`, the first number no item has, counted
 * from the oldest, so a list reads the same in either order and on every read. A cursor naming a
 * repeated id went back to its first place, and the SDK's auto-pagination asked for the same
 * pages for ever.
 */
function distinctIds(items: readonly JsonObject[]): readonly JsonObject[] {
  const taken = new Set<unknown>();
  let repeated = false;
  for (const item of items) {
    if (taken.has(item.id)) repeated = true;
    taken.add(item.id);
  }
  if (!repeated) return items;
  const listed = new Set<unknown>();
  return items.map((item) => {
    if (typeof item.id !== "string" || !listed.has(item.id)) {
      listed.add(item.id);
      return item;
    }
    let n = 1;
    while (taken.has(`${item.id}_${n}`)) n++;
    const id = `${item.id}_${n}`;
    taken.add(id);
    listed.add(id);
    return { ...item, id };
  });
}
