/**
 * `map.get(key)`, made with `make(key)` and kept the first time. Per-request metric cells are found
 * through one such Map per label (front door → model → provider → status class) rather than one
 * Map keyed by the labels joined into a string: building that string cost ~70 ns a lookup, the
 * nested lookups ~15. Objects only (Maps, cells): the call sites inlined into one optimised
 * function share this one's profile, and a string found beside objects made it exit
 * (`GatewayMetrics.providerLabel`).
 */
export function branch<K, V extends object>(map: Map<K, V>, key: K, make: (key: K) => NoInfer<V>): V {
  let found = map.get(key);
  if (found === undefined) {
    found = make(key);
    map.set(key, found);
  }
  return found;
}

/** `make` for a level of Maps: one function for every call, not a closure made per lookup. */
export const newMap = <K, V>(): Map<K, V> => new Map<K, V>();
