import type { JsonObject } from "../core/dialect.ts";
import { readResponseChain } from "../storage/response-chain.ts";
import type { ResponseStore, StoredResponse } from "../storage/storage.ts";
import { type ItemHolders, noteHolders } from "../translate/responses/item-references.ts";
import { withItemIds } from "../translate/responses/stored-item-ids.ts";

/** A stored response with the conversation up to and with it, read off its chain. */
export interface StoredConversation {
  readonly response: StoredResponse;
  /** The chain's responses still stored, oldest first, `response` last: the upstream's answers. */
  readonly answers: readonly StoredResponse[];
  /**
   * The items of every response of the chain still stored, oldest first, each with its id (its
   * own, else the one `withItemIds` gives it under the response that stored it).
   */
  readonly items: JsonObject[];
  /** Who holds each of `items` upstream under its id (item-references.ts). */
  readonly holders: ItemHolders;
  /** The response the chain lost (deleted, or pruned by retention): the items are not whole. */
  readonly missing?: string;
}

/**
 * Response `id` of `scope` with its conversation: each response holds its own turn, so the
 * conversation is its chain's turns, read in one go (`ResponseStore.chain`). Null when the
 * response is unknown to the scope.
 */
export async function storedConversation(
  store: ResponseStore,
  scope: string,
  id: string,
): Promise<StoredConversation | null> {
  const chain = await readResponseChain(store, scope, id);
  const response = chain?.responses.at(-1);
  if (!chain || !response) return null;
  const holders = new Map<string, string | null>();
  const items = chain.responses.flatMap((link) => {
    const linkItems = withItemIds(link.items, link.id);
    noteHolders(holders, link, linkItems);
    return linkItems;
  });
  return {
    response,
    answers: chain.responses,
    items,
    holders,
    ...(chain.missing ? { missing: chain.missing } : {}),
  };
}
