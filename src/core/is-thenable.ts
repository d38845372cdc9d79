/**
 * Whether a plug-in's answer has a `then` to call (a promise, or what `await` would take for one):
 * where a synchronous answer is asked for, such an answer's rejection must still be handled.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
