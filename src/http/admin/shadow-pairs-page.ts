import type { ShadowRecord } from "../../shadow/shadow-api-schema.ts";
import type { ShadowFilter, ShadowStore } from "../../storage/storage.ts";

/** A page of shadow pairs, and the pair the next one starts before (null: none older). */
export interface ShadowPairsPage {
  readonly records: ShadowRecord[];
  readonly nextCursor: string | null;
}

/**
 * At most `limit` pairs matching `filter`, newest first, recorded before the pair `cursor`. Filtered
 * again by caller here: an embedder's store written before `keyId` returns every caller's pairs; its
 * pages then come short, never with another caller's. (Its aggregates, which say no caller, are
 * every caller's: docs/EMBEDDING.md.)
 */
export async function shadowPairsPage(
  store: ShadowStore,
  filter: ShadowFilter,
  cursor: string | null,
  limit: number,
): Promise<ShadowPairsPage> {
  // One more than the page: whether an older page exists.
  const listed = await store.list(filter, cursor, limit + 1);
  const considered = listed.slice(0, limit);
  return {
    records: considered.filter((pair) => filter.keyId === undefined || pair.keyId === filter.keyId),
    nextCursor: listed.length > limit ? (considered.at(-1)?.id ?? null) : null,
  };
}
