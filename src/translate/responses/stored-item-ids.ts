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

/** The ids `storedItemId` makes: a known prefix, the response's id, `_i` and the item's place. */
const STORED_ID = new RegExp(`^(?:${[...Object.values(PREFIX), "item"].join("|")})_.+_i\\d+$`);

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
