import { matchesAny } from "../../auth/model-glob.ts";

/**
 * Compiles a key's model allow-list (globs where `*` matches any run of characters) into a
 * predicate. An empty list permits nothing: pass ["*"] for a key without restriction.
 */
export function modelMatcher(globs: readonly string[]): (model: string) => boolean {
  return (model) => matchesAny(globs, model);
}
