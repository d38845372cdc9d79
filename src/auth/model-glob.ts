const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 1024;

/**
 * Compiles a model glob (`*` matches any run of characters, everything else is literal) to an
 * anchored RegExp. Results are cached: allow-lists repeat across keys and requests.
 */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  const source = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&"))
    .join(".*");
  re = new RegExp(`^${source}$`, "s");
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(glob, re);
  return re;
}

/** True when `name` matches any of the globs. Exact names and `*` skip the RegExp. */
export function matchesAny(globs: readonly string[], name: string): boolean {
  for (const glob of globs) {
    if (glob === "*" || glob === name) return true;
    if (glob.includes("*") && globToRegExp(glob).test(name)) return true;
  }
  return false;
}

/**
 * True when every name `pattern` matches is also matched by one of `globs`: an allow-list
 * covers a narrower one. The pattern is tested as a literal name: its `*` can only be matched
 * by a `*` of the covering glob (globs hold no literal `*`), which absorbs whatever it stands for.
 */
export function coversGlob(globs: readonly string[], pattern: string): boolean {
  return matchesAny(globs, pattern);
}
