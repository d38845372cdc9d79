import { describeError } from "../core/describe-error.ts";
import { GatewayError } from "../core/gateway-error.ts";
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
 * The promise `call` returns, or, when it throws before returning one (a store method that is not
 * `async`, whose driver throws at once), that throw as its rejection: the store failed all the
 * same. Thrown as it was, a read's was a 500 and a save's was taken for the upstream's failure (a
 * 502 "upstream failed", the route retried and its breaker counting it).
 */
function asRejection<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The response store as requests read it (a turn's `previous_response_id` and item references,
 * `GET`/`DELETE /v1/responses/{id}`): a read or delete that fails is `responseStoreFailed`.
 * Saves and retention's prune go as they are, a throw as a rejection: a failed save is the
 * caller's 503 already.
 */
export function readsRetryable(store: ResponseStore): ResponseStore {
  const { chain, responseOfItem, delete: remove } = store;
  return {
    save: (record) => asRejection(() => store.save(record)),
    get: (tenant, id) => asRejection(() => store.get(tenant, id)).catch(responseStoreFailed),
    ...(chain
      ? { chain: (tenant, id) => asRejection(() => chain.call(store, tenant, id)).catch(responseStoreFailed) }
      : {}),
    ...(responseOfItem
      ? {
          responseOfItem: (tenant, id) =>
            asRejection(() => responseOfItem.call(store, tenant, id)).catch(responseStoreFailed),
        }
      : {}),
    ...(remove
      ? {
          delete: (tenant, id) =>
            asRejection(() => remove.call(store, tenant, id)).catch(responseStoreFailed),
        }
      : {}),
    prune: (before, limit) => asRejection(() => store.prune(before, limit)),
    // Not a call but what the store says of itself: which keys still read a free label's old rows.
    get labelScopesClosedAt() {
      return store.labelScopesClosedAt;
    },
  };
}
