import { keysetPages } from "../core/keyset-pages.ts";
import { isActiveAt, type KeyRecord } from "./key-record.ts";
import type { KeyPageFilter, KeyPosition, KeyStore } from "./storage.ts";

/** Whether the key at `a` comes before the one at `b` in a listing (newest first, then by id). */
export const comesBefore = (a: KeyPosition, b: KeyPosition) =>
  a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;

/**
 * At most `limit` keys matching `filter` after `after`, newest first: the store's indexed page, or
 * for a store without one (an embedder's, written before it) every key listed and sorted. A page
 * holding a key of another name comes from a store whose `page` was written before `name`, which
 * it ignored: read as from a store without `page`, so the page is neither short nor another's.
 */
export async function readKeyPage(
  store: KeyStore,
  filter: KeyPageFilter,
  after: KeyPosition | null,
  limit: number,
): Promise<KeyRecord[]> {
  if (store.page) {
    const page = await store.page(filter, after, limit);
    if (filter.name === undefined || page.every((k) => k.name === filter.name)) return page;
  }
  return (await listedInOrder(store, filter))
    .filter((k) => after === null || comesBefore(after, k))
    .slice(0, limit);
}

/** Every key matching `filter`, newest first, from `list` (a store without `page`). */
async function listedInOrder(store: KeyStore, filter: KeyPageFilter): Promise<KeyRecord[]> {
  const { tenant, name, activeAt } = filter;
  const keys = await store.list({
    ...(tenant === undefined ? {} : { tenant }),
    includeRevoked: activeAt === undefined,
  });
  return keys
    .filter(
      (k) => (name === undefined || k.name === name) && (activeAt === undefined || isActiveAt(k, activeAt)),
    )
    .sort((a, b) => (comesBefore(a, b) ? -1 : 1));
}

/**
 * Every key matching `filter`, newest first, read a page of `size` at a time; from a store without
 * `page`, listed once and cut into pages (a page each from `list` would read the table once a page).
 */
export async function* keyPages(
  store: KeyStore,
  filter: KeyPageFilter,
  size: number,
): AsyncGenerator<KeyRecord[]> {
  if (!store.page) {
    const keys = await listedInOrder(store, filter);
    for (let at = 0; at < keys.length; at += size) yield keys.slice(at, at + size);
    return;
  }
  yield* keysetPages<KeyRecord, KeyPosition>(
    (after) => readKeyPage(store, filter, after, size),
    (key) => ({ createdAt: key.createdAt, id: key.id }),
    size,
  );
}
