/**
 * Lookups kept per cache: far more models than a deployment prices, and a bound on the names a
 * `*` route lets clients send (each looked up once, found in no catalogue, and never again).
 */
export const MOST_CACHED_LOOKUPS = 1024;

/**
 * Sets `key` in a lookup cache kept to `most` entries: past it the entry cached longest ago goes
 * first (the model names asked for now are cached again on their next use, at one lookup each).
 */
export function cacheBounded<K, V>(cache: Map<K, V>, key: K, value: V, most = MOST_CACHED_LOOKUPS): void {
  if (cache.size >= most && !cache.has(key)) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}
