import type { JsonObject } from "../../core/dialect.ts";

/** Id prefixes by item type, as OpenAI's own item ids begin; other types get `item`. */
const PREFIX: Readonly<Record<string, string>> = {
  message: "msg",
  function_call: "fc",
  function_call_output: "fco",
  custom_tool_call: "ctc",
  custom_tool_call_output: "ctco",
  reasoning: "rs",
  compaction: "cmp",
};

const PREFIXES = [...Object.values(PREFIX), "item"].join("|");

/** The ids `storedItemId` makes: a known prefix, the response's id, `_i` and the item's place. */
const STORED_ID = new RegExp(`^(?:${PREFIXES})_.+_i\\d+$`);

/**
 * Every id the gateway gives an item carries the id of the response it came with: an output item's
 * (`msg_X`, `rs_X`, `cmp_X`, `fc_X_0`: response-envelope.ts, compaction.ts) and a stored input
 * item's (`msg_X_i0`), all of response `resp_X`.
 */
const GATEWAY_ID = new RegExp(`^(?:${PREFIXES})_([^_]+)(?:_i?\\d+)?$`);

/**
 * The id of the item at `index` of a stored conversation, for `input_items` (whose list pages by
 * item id) when the item came without one, as a bare string input or an input message does. Made
 * from the response id it was first stored under and its place there, so it is the same on every
 * read, and a row stored before items had ids reads as if it had them.
 */
export function storedItemId(item: JsonObject, responseId: string, index: number): string {
  const type = typeof item.type === "string" ? item.type : "message";
  return `${PREFIX[type] ?? "item"}_${responseId.replace(/^resp_/, "")}_i${index}`;
}

/** `items` with an id on each: its own, else `storedItemId`'s. */
export function withItemIds(items: readonly JsonObject[], responseId: string): JsonObject[] {
  return items.map((item, index) =>
    typeof item.id === "string" ? item : { ...item, id: storedItemId(item, responseId, index) },
  );
}

/**
 * A stored conversation as it goes back upstream: the ids `storedItemId` made taken off again, so
 * an upstream is sent the items as the client sent them (OpenAI's input messages take no id).
 */
export function withoutStoredIds(items: readonly JsonObject[]): JsonObject[] {
  return items.map((item) => {
    if (typeof item.id !== "string" || !STORED_ID.test(item.id)) return item;
    const { id: _stored, ...rest } = item;
    return rest;
  });
}

/**
 * The response an item id the gateway gave belongs to, where it is stored (an `item_reference`
 * names the item alone); undefined for an id of another shape (an upstream's own).
 */
export function responseIdOfItem(itemId: string): string | undefined {
  const match = GATEWAY_ID.exec(itemId);
  return match ? `resp_${match[1]}` : undefined;
}
