/** A failure passed on as it is. */
const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * A wrapper for `self`'s methods that calls each as though it were `async`, `failed` deciding what
 * a failure becomes (else it is passed on). An embedder's store written in JavaScript may keep its
 * interface's promises only loosely: a method that is not `async` can throw before it returns one
 * (its driver throwing at once: a pool closed) or answer a plain value (a store kept in memory,
 * answering at once). Awaited inside an async function, the throw is the call's rejection and the
 * plain value its answer, as from a promise; a `.then` or `.catch` on what the method returned
 * would itself throw on either. One promise per call, and nothing made per call besides.
 */
export function guardedCalls(self: object, failed: (error: unknown) => never = rethrow) {
  return <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await method.apply(self, args);
      } catch (error) {
        return failed(error);
      }
    };
}
