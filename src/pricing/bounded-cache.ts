/**
 * Lookups kept per cache: far more models than a deployment prices, and a bound on the names a
 * `*` route lets clients send (each looked up once, found in no catalogue, and never again).
 */
export const MOST_CACHED_LOOKUPS = 1024;

/**
 * The cached value of `key`, else `look()`'s, cached. A hit moves the entry to the back, so past
 * the bound the entry used longest ago goes first: a flood of made-up names passes through while
 * the models in use stay cached (evicting by age alone, each real answer would pay its lookup
 * again after every thousand made-up names).
 */
export function cachedLookup<K, V>(cache: Map<K, V>, key: K, look: () => V, most = MOST_CACHED_LOOKUPS): V {
  if (cache.has(key)) {
    const value = cache.get(key) as V;
    cache.delete(key);
    cache.set(key, value);
    return value;
  }
  const value = look();
  cacheBounded(cache, key, value, most);
  return value;
}

/**
 * Sets `key` in a lookup cache kept to `most` entries: past it the entry at the front (cached, or
 * last used through `cachedLookup`, longest ago) goes first.
 */
export function cacheBounded<K, V>(cache: Map<K, V>, key: K, value: V, most = MOST_CACHED_LOOKUPS): void {
  if (cache.size >= most && !cache.has(key)) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}
