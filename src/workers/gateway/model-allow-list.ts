/**
 * Compiles a key's model allow-list (globs where `*` matches any run of characters) into a
 * predicate. An empty list permits nothing: pass ["*"] for a key without restriction.
 */
export function modelMatcher(globs: readonly string[]): (model: string) => boolean {
  const patterns = globs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ),
  );
  return (model) => patterns.some((pattern) => pattern.test(model));
}
