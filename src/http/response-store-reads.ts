import { describeError } from "../core/describe-error.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { guardedCalls } from "../core/guarded-calls.ts";
import type { ResponseStore } from "../storage/storage.ts";

/**
 * A response store that could not answer: the response may well be there, so not a 500 but a 503
 * `storage_unavailable` to retry, as a failed save is (responses-context.ts) and a failed key
 * lookup is (auth/authenticate.ts). A GatewayError (a PostgreSQL call's own bound) is said as is.
 */
export const responseStoreFailed = (error: unknown): never => {
  if (error instanceof GatewayError) throw error;
  throw new GatewayError({
    status: 503,
    code: "storage_unavailable",
    message: "the response store is unavailable; try again later",
    retryable: true,
    detail: `response store call failed: ${describeError(error)}`,
  });
};

/**
 * The response store as requests read it (a turn's `previous_response_id` and item references,
 * `GET`/`DELETE /v1/responses/{id}`): a read or delete that fails is `responseStoreFailed`.
 * Saves and retention's prune fail as they do: a failed save is the caller's 503 already.
 */
export function readsRetryable(store: ResponseStore): ResponseStore {
  // A method that throws before returning a promise, or answers a plain value, is taken as an
  // async one's rejection or answer (core/guarded-calls.ts): a read's throw was a 500, a save's
  // was taken for the upstream's failure (a 502 "upstream failed", the route retried and its
  // breaker counting it).
  const read = guardedCalls(store, responseStoreFailed);
  const write = guardedCalls(store);
  const { chain, responseOfItem, delete: remove, noteContainers, containersSeen, forgetContainers } = store;
  return {
    save: write(store.save),
    get: read(store.get),
    ...(chain ? { chain: read(chain) } : {}),
    ...(responseOfItem ? { responseOfItem: read(responseOfItem) } : {}),
    ...(remove ? { delete: read(remove) } : {}),
    ...(containersSeen ? { containersSeen: read(containersSeen) } : {}),
    ...(noteContainers ? { noteContainers: write(noteContainers) } : {}),
    ...(forgetContainers ? { forgetContainers: write(forgetContainers) } : {}),
    prune: write(store.prune),
    // Not a call but what the store says of itself: which keys still read a free label's old rows.
    get labelScopesClosedAt() {
      return store.labelScopesClosedAt;
    },
  };
}
