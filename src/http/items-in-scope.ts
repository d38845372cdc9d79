import type { Principal } from "../auth/principal.ts";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { ResponseStore } from "../storage/storage.ts";
import {
  echoedIds,
  type ItemHolders,
  itemNotFound,
  noteHolders,
  type ReferencedItems,
  referencedIds,
  resolveItemReferences,
} from "../translate/responses/item-references.ts";
import { withItemIds } from "../translate/responses/stored-item-ids.ts";
import { containerOfCall, vouches } from "./containers-in-scope.ts";
import { ownScopes, readInScopes } from "./response-scope.ts";

/** The items a request names by id that the caller's scope holds, and the ids it does not. */
export interface ItemsInScope {
  /** What its `item_reference`s (and those of the conversation it continues) name. */
  readonly referenced: ReferencedItems;
  /**
   * Who holds upstream each item the request carries under an id, where the gateway can tell: those
   * of the stored conversation it continues, what it names by id.
   */
  readonly holders: ItemHolders;
  /** The ids of its own input items (not references) that the caller's scope does not hold. */
  readonly foreign: ReadonlySet<string>;
  /**
   * The containers the calls it names by id (a reference, or an input item's own id) ran in, as the
   * upstream answered them: in the output of a stored response of the caller's scope, never a copy
   * an input stored (containers-in-scope.ts).
   */
  readonly named: ReadonlySet<string>;
}

export const NO_HOLDERS: ItemHolders = new Map();
const NONE_NAMED: ItemsInScope = {
  referenced: new Map(),
  holders: NO_HOLDERS,
  foreign: new Set(),
  named: new Set(),
};

/** The conversation a request continues: its items, and who holds them upstream. */
export interface Continued {
  readonly items: readonly JsonObject[];
  readonly holders: ItemHolders;
}

/**
 * The items a request names by id, looked up as the caller may see them: in the conversation it
 * continues, then among the caller's stored responses: a response the item id names (`resp_…:…`,
 * the gateway's) in the scopes it may read, an upstream's own item id in its own scopes alone
 * (response-scope.ts: in its label's old rows, such an id would find any of the label's keys'
 * items). A reference of the input that names none is refused, in OpenAI's words: any other
 * scope's item is unknown, and must not reach the upstream (it would resolve it across the account
 * every caller shares). So is an input item that carries an id of its own, which OpenAI looks up
 * as well (a bare reasoning item is nothing but its id): one the caller's scope does not hold is
 * `foreign`, and goes to a native upstream without it (item-references.ts `withoutForeignIds`).
 * Each item found is named with who holds it upstream, as the stored conversation's are: a native
 * upstream is sent the ids of its own items alone (`forNativeUpstream`).
 */
export async function itemsInScope(
  store: ResponseStore,
  principal: Principal,
  readable: readonly string[],
  input: readonly unknown[],
  continued: Continued,
): Promise<ItemsInScope> {
  const history = continued.items;
  const references = referencedIds([...history, ...input]);
  const echoed = echoedIds(input);
  if (references.length === 0 && echoed.length === 0)
    return continued.holders === NO_HOLDERS ? NONE_NAMED : { ...NONE_NAMED, holders: continued.holders };
  const wanted = new Set([...references, ...echoed]);
  const found = new Map<string, JsonObject>();
  for (const item of history) {
    if (typeof item.id === "string" && wanted.has(item.id)) found.set(item.id, item);
  }
  // Who holds each item upstream, of the responses read for them: a reference to one of a native
  // route's own answers, or an item under its id, goes to that route as written (native-responses.ts
  // `inputFor`).
  const read = new Map<string, string | null>();
  let named: Set<string> | undefined;
  const stored = await resolveItemReferences(
    [...wanted].filter((id) => !found.has(id)),
    {
      items: async (responseId) => {
        const response = await readInScopes(readable, (scope) => store.get(scope, responseId));
        if (!response) return undefined;
        const items = withItemIds(response.items, response.id);
        noteHolders(read, response, items);
        // A call it names, as the upstream answered it: its output's, not an input stored under its
        // id; and only an answer whose holder vouches for it (containers-in-scope.ts `vouches`).
        if (!vouches(response.holder)) return items;
        const output = response.response.output;
        for (const item of Array.isArray(output) ? output : []) {
          if (!isJsonObject(item) || typeof item.id !== "string" || !wanted.has(item.id)) continue;
          const container = containerOfCall(item);
          if (container === undefined) continue;
          named ??= new Set();
          named.add(container);
        }
        return items;
      },
      ...(store.responseOfItem
        ? {
            responseOf: async (itemId: string) =>
              (await readInScopes(
                ownScopes(principal),
                async (scope) => (await store.responseOfItem?.(scope, itemId)) ?? null,
              )) ?? undefined,
          }
        : {}),
    },
  );
  for (const [id, item] of stored) found.set(id, item);
  const unknown = referencedIds(input).find((id) => !found.has(id));
  if (unknown !== undefined) throw itemNotFound(unknown);
  const referenced = new Map<string, JsonObject>();
  for (const id of references) {
    const item = found.get(id);
    if (item) referenced.set(id, item);
  }
  // The conversation's holders, and those of the items the store gave: each a provider's, or none.
  const holders = new Map(continued.holders);
  for (const [id] of stored) holders.set(id, read.get(id) ?? null);
  const foreign = new Set(echoed.filter((id) => !found.has(id)));
  return { referenced, holders, foreign, named: named ?? NONE_NAMED.named };
}
