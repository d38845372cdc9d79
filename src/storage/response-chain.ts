import type { ResponseChain, ResponseStore, StoredResponse } from "./storage.ts";

/**
 * The chain ending in response `id` (`ResponseStore.chain`): the store's own query when it has
 * one, else a `get` per response, following `previousId` back to the chain's start (or to the
 * first response no longer stored).
 */
export async function readResponseChain(
  store: ResponseStore,
  tenant: string,
  id: string,
): Promise<ResponseChain | null> {
  if (store.chain) return store.chain(tenant, id);
  const found = new Map<string, StoredResponse>();
  for (let at: string | undefined = id; at !== undefined && !found.has(at); ) {
    const response = await store.get(tenant, at);
    if (!response) break;
    found.set(at, response);
    at = response.previousId;
  }
  return chainOf(found.values(), id);
}

/**
 * The chain ending in `id`, oldest first, out of the responses of it found (in any order): each
 * one's `previousId` names the one before. One that is not among them is the chain's `missing`
 * link; so is one met twice (ids that loop cannot be a chain). Null without `id` itself.
 */
export function chainOf(responses: Iterable<StoredResponse>, id: string): ResponseChain | null {
  const found = new Map<string, StoredResponse>();
  for (const response of responses) found.set(response.id, response);
  const newestFirst: StoredResponse[] = [];
  const seen = new Set<string>();
  for (let at: string | undefined = id; at !== undefined; ) {
    const response = found.get(at);
    if (!response || seen.has(at)) {
      return newestFirst.length === 0 ? null : { responses: newestFirst.reverse(), missing: at };
    }
    seen.add(at);
    newestFirst.push(response);
    at = response.previousId;
  }
  return { responses: newestFirst.reverse() };
}
