/**
 * Lookups kept per cache: far more models than a deployment prices, and a bound on the names a
 * `*` route lets clients send (each looked up once, found in no catalogue, and never again).
 */
export const MOST_CACHED_LOOKUPS = 1024;

/**
 * Whether `key` is cached; when it is, it moves to the back, so past the bound the entry used
 * longest ago goes first: a flood of made-up names passes through while the models in use stay
 * cached (evicting by age alone, each real answer would pay its lookup again after every thousand
 * made-up names). Read the value with `get` after it; on a miss look it up and `cacheBounded` it.
 * Two calls and no callback, so a lookup on an answer's way makes no closure.
 */
export function cachedAndTouched<K, V>(cache: Map<K, V>, key: K): boolean {
  if (!cache.has(key)) return false;
  const value = cache.get(key) as V;
  cache.delete(key);
  cache.set(key, value);
  return true;
}

/**
 * Sets `key` in a lookup cache kept to `most` entries: past it the entry at the front (cached, or
 * last touched by `cachedAndTouched`, longest ago) goes first.
 */
export function cacheBounded<K, V>(cache: Map<K, V>, key: K, value: V, most = MOST_CACHED_LOOKUPS): void {
  if (cache.size >= most && !cache.has(key)) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}
