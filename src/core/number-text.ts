/**
 * A number as `String(n)` writes it, made without JavaScriptCore's number-to-string cache.
 * `String(n)`, `` `${n}` `` and `n.toString()` of an integer keep each result in a VM-wide cache of
 * about a thousand entries (Bun 1.4.5, optimised code included) that every young collection
 * marks: a count that differs from one request to the next (a remaining count, milliseconds to a
 * reset), made so, is kept alive and promoted, a few hundred strings an eden collection under load
 * (docs/BENCHMARKS-HISTORY.md, session 12's young collections). `JSON.stringify` writes a finite
 * number the same way and keeps nothing, and is no slower (~35–40 ns an integer). For a value that
 * repeats (a limit, a status), `String` is as good: the cache hands back the string it made before.
 */
export function numberText(n: number): string {
  return Number.isFinite(n) ? JSON.stringify(n) : String(n);
}
