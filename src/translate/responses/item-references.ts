import { shown } from "../../core/cut-words.ts";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { isCarriedThinking } from "../thinking-blocks.ts";
import { summaryTurn } from "./compaction.ts";
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
 * Who holds each item upstream under its id, by that id, where the gateway can tell: the provider
 * that answered the item natively, and named it; null where it knows of none (the gateway named the
 * item, answering by translation; or the item came in a caller's input, named who knows where). An
 * id with no entry (a conversation a connection keeps in memory) it cannot tell of.
 */
export type ItemHolders = ReadonlyMap<string, string | null>;

/**
 * Into `holders`, who holds each of `items` (a stored response's, each with its id) upstream: the
 * provider that answered the response natively (`holder`) its output items, named by it; null every
 * other (all of a response the gateway built by translation). An item stored again later (sent back
 * as input) stays its provider's.
 */
export function noteHolders(
  holders: Map<string, string | null>,
  response: { readonly holder?: string; readonly response: JsonObject },
  items: readonly JsonObject[],
): void {
  const { holder } = response;
  const output = response.response.output;
  const named = new Set<unknown>();
  if (holder !== undefined && Array.isArray(output))
    for (const item of output) if (isJsonObject(item)) named.add(item.id);
  for (const { id } of items) {
    if (typeof id !== "string") continue;
    if (holder !== undefined && named.has(id)) holders.set(id, holder);
    else if (!holders.has(id)) holders.set(id, null);
  }
}

/**
 * `items` as an upstream serving the Responses API itself (`provider`) can read them: it looks up
 * every id it is sent, an `item_reference`'s and an item's own, and finds only the items it answered
 * itself (`holders`). A reference to one of those goes as written, as does an item under its id; a
 * reference to any other item goes as the item (`referenced`), and any other item as itself, each
 * without the id the upstream would look up and not find (a translated turn's, another provider's,
 * an input item's under an id the gateway made). A bare reasoning item (another model's summary and
 * an id) is left out: nothing of it could reach the upstream; so is one carrying a Messages server's
 * thinking (thinking-blocks.ts), with an id or without. A compaction the gateway wrote (a
 * translated route's summary, `cmp_…`) goes as the user turn that carries its summary, as a
 * translated route is sent it: the upstream could neither find its id nor decrypt its content. An
 * item whose id `holders` cannot tell of goes as it is. The list itself when nothing changes.
 */
export function forNativeUpstream(
  items: readonly unknown[],
  referenced: ReferencedItems | undefined,
  holders: ItemHolders | undefined,
  provider: string,
): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const read = nativeRead(item, referenced, holders, provider);
    if (read === item) {
      out?.push(item);
      continue;
    }
    out ??= items.slice(0, i);
    if (read !== undefined) out.push(read);
  }
  return out ?? items;
}

/** One item as `forNativeUpstream` sends it: itself, another, or undefined (left out). */
function nativeRead(
  item: unknown,
  referenced: ReferencedItems | undefined,
  holders: ItemHolders | undefined,
  provider: string,
): unknown {
  const stored = referenced ? referencedItem(item, referenced) : undefined;
  const read = stored ?? item;
  if (!isJsonObject(read)) return item;
  // Whatever its id says (none, as Codex echoes it; one no holder is known for): no server of the
  // Responses API could read it.
  if (carriesThinking(read)) return undefined;
  if (stored && holders?.get(String(stored.id)) === provider) return item;
  const summary = summaryTurn(read);
  if (summary) return summary;
  if (stored) return withoutId(stored);
  if (typeof read.id !== "string") return item;
  const holder = holders?.get(read.id);
  return holder === undefined || holder === provider ? item : withoutId(read);
}

/** An item without its id; undefined for a bare reasoning item, which is nothing else. */
function withoutId(item: JsonObject): JsonObject | undefined {
  if (bareReasoning(item)) return undefined;
  const { id: _notHeld, ...rest } = item;
  return rest;
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

/**
 * A reasoning item that is its id alone: without `encrypted_content`, only its id says what it
 * was; or whose `encrypted_content` is a Messages server's signature the gateway carried there
 * (thinking-blocks.ts), which no server of the Responses API could read.
 */
const bareReasoning = (item: JsonObject) =>
  item.type === "reasoning" &&
  (typeof item.encrypted_content !== "string" || item.encrypted_content === "" || carriesThinking(item));

/** A reasoning item whose `encrypted_content` is a Messages server's thinking the gateway carried. */
const carriesThinking = (item: JsonObject) =>
  item.type === "reasoning" && isCarriedThinking(item.encrypted_content);

/**
 * `items` with the ids in `foreign` (ids the caller's scope does not hold) taken off, so none
 * reaches an upstream that would resolve it across the shared account: an item whose content is
 * its own goes on without its id. A bare reasoning item has nothing but its id: refused as an
 * unknown reference is (`refuse`: what is sent to a native upstream), or left out (`drop`: what
 * is stored, where no upstream can read it for this caller). A reasoning item carrying a Messages
 * server's thinking is left out either way, as `forNativeUpstream` leaves it out under any id.
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
    const rest = withoutId(item);
    if (rest) out.push(rest);
    // Carried thinking is not its id alone: it is left out as it is from every native call.
    else if (bare === "refuse" && !carriesThinking(item)) throw itemNotFound(item.id);
  }
  return out;
}

/**
 * OpenAI's answer for an item it does not hold: a 404 naming `input`, in its words, and no `code`
 * (the record's is `not_found`).
 */
export const itemNotFound = (id: string) =>
  new GatewayError({
    status: 404,
    code: "not_found",
    message: `Item with id '${shown(id)}' not found.`,
    param: "input",
    openAICode: null,
  });
