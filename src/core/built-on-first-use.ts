/**
 * A value built on its first read and kept: for the zod schemas of what a gateway on its defaults
 * never serves at start (another dialect's bodies to translate, the admin API's), each a few
 * hundred objects and closures of idle RSS (docs/BENCHMARKS-HISTORY.md, session 47). A read after
 * the first is one variable's, so a request pays nothing for it being deferred.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}
