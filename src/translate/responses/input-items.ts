import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/** The item a bare string `input` stands for: one user message (a type, so item types with an index signature take it). */
export type UserText = { readonly type: "message"; readonly role: "user"; readonly content: string };

/**
 * A Responses `input` as its list of items: a bare string is one user message, none is no item.
 * Anything else is passed on as the item (or items) it claims to be, for the schema further on to
 * judge, never dropped. The one reading of `input` that translation, the store's chains and the
 * WebSocket mode's local chains share.
 */
export function inputItems<Item>(
  input: string | readonly Item[] | null | undefined,
): readonly (Item | UserText)[];
export function inputItems(input: unknown): readonly unknown[];
export function inputItems(input: unknown): readonly unknown[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return [{ type: "message", role: "user", content: input }];
  return Array.isArray(input) ? input : [input];
}

/**
 * What a response adds to the conversation a `previous_response_id` continues: the request's
 * input items, then the response's output items. Both passed their schemas by then; an entry that
 * is no object could not be sent back as an item and is left out.
 */
export function conversationItems(request: JsonObject, response: JsonObject): JsonObject[] {
  const output = Array.isArray(response.output) ? response.output : [];
  return [...inputItems(request.input), ...output].filter(isJsonObject);
}
