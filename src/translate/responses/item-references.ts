import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { responseIdOfItem } from "./stored-item-ids.ts";

/** The items `item_reference`s name, by id, as a stored response holds them. */
export type ReferencedItems = ReadonlyMap<string, JsonObject>;

/** Where the items a caller's references may name are read, in the caller's scope only. */
export interface ItemLookup {
  /** A stored response's items (undefined: not this caller's, or gone). */
  items(responseId: string): Promise<readonly JsonObject[] | undefined>;
  /**
   * The stored response whose output holds an item the upstream named itself (a native answer's
   * `msg_…`, which says nothing of its response): the store's item index. Absent: none is found.
   */
  responseOf?(itemId: string): Promise<string | undefined>;
}

/**
 * Looks up the items `ids` name (a request's `item_reference`s): a client that keeps OpenAI's
 * `store` on sends an earlier answer's items back by id alone (the Vercel AI SDK does, for every
 * assistant turn). An id the gateway made names its response (`responseIdOfItem`); any other is
 * looked up in the store's index (`responseOf`). Either way an item counts as found only if a
 * response the caller may read holds it, so an id of another scope's item is simply not found.
 * Each response is read once.
 */
export async function resolveItemReferences(
  ids: readonly string[],
  lookup: ItemLookup,
): Promise<ReferencedItems> {
  const found = new Map<string, JsonObject>();
  const loaded = new Map<string, Promise<readonly JsonObject[] | undefined>>();
  const holds = async (responseId: string, id: string) => {
    let reading = loaded.get(responseId);
    if (!reading) {
      reading = lookup.items(responseId);
      loaded.set(responseId, reading);
    }
    const item = (await reading)?.find((stored) => stored.id === id);
    if (item) found.set(id, item);
  };
  const { responseOf } = lookup;
  await Promise.all(
    ids.map(async (id) => {
      const ours = responseIdOfItem(id);
      if (ours) await holds(ours, id);
      // Not found so: an upstream's id, or one that merely looks like one of ours.
      const located = found.has(id) || !responseOf ? undefined : await responseOf(id);
      if (located && located !== ours) await holds(located, id);
    }),
  );
  return found;
}

/**
 * The provider that holds each of `response`'s output items upstream under the item's own id — it
 * answered the response natively (`holder`), and named the items itself — into `holders`; nothing
 * for a response the gateway built by translation, whose items only its store holds.
 */
export function noteHolders(
  holders: Map<string, string>,
  response: { readonly holder?: string; readonly response: JsonObject },
): void {
  const { holder } = response;
  const output = response.response.output;
  if (holder === undefined || !Array.isArray(output)) return;
  for (const item of output)
    if (isJsonObject(item) && typeof item.id === "string") holders.set(item.id, holder);
}

/**
 * `items` as an upstream serving the Responses API itself (`provider`) can read them: a reference
 * to an item it answered itself (`holders`, by item id: under its own id, in its own store) goes as
 * written; one to an item the gateway's store alone holds (a translated turn's, another provider's,
 * an input item under an id the gateway made) is replaced by the item, without that id, which the
 * upstream would look up and not find. A bare reasoning item (another model's summary and an id)
 * is left out: nothing of it could reach the upstream. The list itself when every reference goes as
 * written.
 */
export function withReferencesInlined(
  items: readonly unknown[],
  referenced: ReferencedItems,
  holders: ReadonlyMap<string, string> | undefined,
  provider: string,
): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const stored = referencedItem(item, referenced);
    if (stored === undefined || holders?.get(String(stored.id)) === provider) {
      out?.push(item);
      continue;
    }
    out ??= items.slice(0, i);
    if (bareReasoning(stored)) continue;
    const { id: _gatewayOnly, ...inline } = stored;
    out.push(inline);
  }
  return out ?? items;
}

/** The ids the `item_reference`s among `items` name, each once, in order. */
export function referencedIds(items: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const item of items) {
    if (isJsonObject(item) && item.type === "item_reference" && typeof item.id === "string") ids.add(item.id);
  }
  return [...ids];
}

/** The item `item` names when it is an `item_reference` that `referenced` resolves. */
export function referencedItem(item: unknown, referenced: ReferencedItems): JsonObject | undefined {
  if (referenced.size === 0 || !isJsonObject(item) || item.type !== "item_reference") return undefined;
  return typeof item.id === "string" ? referenced.get(item.id) : undefined;
}

/** `items` with each `item_reference` that `referenced` resolves replaced by the item it names. */
export const withReferencesResolved = (items: readonly JsonObject[], referenced: ReferencedItems) =>
  items.map((item) => referencedItem(item, referenced) ?? item);

/**
 * The ids of the items among `items` that carry one of their own (not `item_reference`s), each
 * once: an upstream serving the Responses API looks an item's id up across the account every
 * caller shares (OpenAI: a reasoning item without `encrypted_content` is its id alone, and an id
 * it does not hold is "Item with id '…' not found"), so each is resolved in the caller's scope as
 * a reference is (`resolveItemReferences`).
 */
export function echoedIds(items: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const item of items) {
    if (isJsonObject(item) && item.type !== "item_reference" && typeof item.id === "string") ids.add(item.id);
  }
  return [...ids];
}

/** A reasoning item that is its id alone: without `encrypted_content`, only its id says what it was. */
const bareReasoning = (item: JsonObject) =>
  item.type === "reasoning" && (typeof item.encrypted_content !== "string" || item.encrypted_content === "");

/**
 * `items` with the ids in `foreign` (ids the caller's scope does not hold) taken off, so none
 * reaches an upstream that would resolve it across the shared account: an item whose content is
 * its own goes on without its id. A bare reasoning item has nothing but its id: refused as an
 * unknown reference is (`refuse`: what is sent to a native upstream), or left out (`drop`: what
 * is stored, where no upstream can read it for this caller).
 */
export function withoutForeignIds(
  items: readonly unknown[],
  foreign: ReadonlySet<string>,
  bare: "refuse" | "drop",
): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    if (!isJsonObject(item) || typeof item.id !== "string" || !foreign.has(item.id)) {
      out.push(item);
      continue;
    }
    if (bareReasoning(item)) {
      if (bare === "refuse") throw itemNotFound(item.id);
      continue;
    }
    const { id: _foreign, ...rest } = item;
    out.push(rest);
  }
  return out;
}

/** OpenAI's answer for an item it does not hold (a 404 naming `input`, as it words it). */
export const itemNotFound = (id: string) =>
  new GatewayError({
    status: 404,
    code: "not_found",
    message: `Item with id '${id}' not found.`,
    param: "input",
  });
