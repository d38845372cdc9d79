import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { responseIdOfItem } from "./stored-item-ids.ts";

/** The items `item_reference`s name, by id, as a stored response holds them. */
export type ReferencedItems = ReadonlyMap<string, JsonObject>;

/**
 * Looks up the items the `item_reference`s among `items` name (a request's input, and the stored
 * chain it continues). A client that keeps OpenAI's `store` on sends an earlier answer's items back
 * by id alone (the Vercel AI SDK does, for every assistant turn); on a route the gateway translates,
 * the gateway wrote those items and holds them itself. `load` reads a stored response's items in
 * the caller's scope, as `previous_response_id` is read (undefined: not this caller's, or gone).
 * Each response is read once; an id no stored response holds is left out, for the translation to
 * name.
 */
export async function resolveItemReferences(
  items: readonly unknown[],
  load: (responseId: string) => Promise<readonly JsonObject[] | undefined>,
): Promise<ReferencedItems> {
  const wanted = new Map<string, Set<string>>();
  for (const item of items) {
    if (!isJsonObject(item) || item.type !== "item_reference" || typeof item.id !== "string") continue;
    const responseId = responseIdOfItem(item.id);
    if (responseId) wanted.set(responseId, (wanted.get(responseId) ?? new Set()).add(item.id));
  }
  const found = new Map<string, JsonObject>();
  const loads = [...wanted].map(async ([responseId, ids]) => {
    for (const stored of (await load(responseId)) ?? []) {
      if (typeof stored.id === "string" && ids.has(stored.id)) found.set(stored.id, stored);
    }
  });
  await Promise.all(loads);
  return found;
}

/** The item `item` names when it is an `item_reference` that `referenced` resolves. */
export function referencedItem(item: unknown, referenced: ReferencedItems): JsonObject | undefined {
  if (referenced.size === 0 || !isJsonObject(item) || item.type !== "item_reference") return undefined;
  return typeof item.id === "string" ? referenced.get(item.id) : undefined;
}

/** `items` with each `item_reference` that `referenced` resolves replaced by the item it names. */
export const withReferencesResolved = (items: readonly JsonObject[], referenced: ReferencedItems) =>
  items.map((item) => referencedItem(item, referenced) ?? item);
