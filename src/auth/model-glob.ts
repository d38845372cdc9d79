/** A compiled model glob: `*` matches any run of characters, everything else is literal. */
export interface ModelGlob {
  test(name: string): boolean;
}

const cache = new Map<string, ModelGlob>();
const CACHE_LIMIT = 1024;

/**
 * Compiles a model glob to a matcher that walks the name once: the literal before the first `*`
 * must start it, the one after the last must end it, and each literal between is found at its
 * first place after the one before (the leftmost place is never worse for the rest, since a `*`
 * absorbs anything). Not a RegExp: `^.*a.*b$` backtracks, and a long name against a glob of two
 * `*` with a literal after the last (`*llama*-instruct`) took seconds per request while the event
 * loop waited. Results are cached: allow-lists repeat across keys and requests.
 */
export function compileGlob(glob: string): ModelGlob {
  let compiled = cache.get(glob);
  if (compiled) return compiled;
  compiled = globMatcher(glob);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(glob, compiled);
  return compiled;
}

function globMatcher(glob: string): ModelGlob {
  const parts = glob.split("*");
  const head = parts[0] ?? "";
  if (parts.length === 1) return { test: (name) => name === glob };
  const tail = parts[parts.length - 1] ?? "";
  const middle = parts.slice(1, -1).filter((part) => part !== "");
  const least = head.length + tail.length;
  return {
    test(name) {
      if (name.length < least || !name.startsWith(head) || !name.endsWith(tail)) return false;
      const end = name.length - tail.length;
      let from = head.length;
      for (const part of middle) {
        const at = name.indexOf(part, from);
        if (at < 0 || at + part.length > end) return false;
        from = at + part.length;
      }
      return true;
    },
  };
}

/** True when `name` matches any of the globs. Exact names and `*` skip the matcher. */
export function matchesAny(globs: readonly string[], name: string): boolean {
  for (const glob of globs) {
    if (glob === "*" || glob === name) return true;
    if (glob.includes("*") && compileGlob(glob).test(name)) return true;
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
