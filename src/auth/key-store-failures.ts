import { describeError } from "../core/describe-error.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { guardedCalls } from "../core/guarded-calls.ts";
import type { KeyStore } from "../storage/storage.ts";

/**
 * A key store that could not answer: the key may well be there (and good), so neither a 401 nor
 * a 500 but a 503 `storage_unavailable` to retry, as a failed response store read is
 * (http/response-store-reads.ts). What the store said is the `detail` (the request's access line,
 * with its id), never the client's. A GatewayError (a PostgreSQL call's own bound) is said as is.
 */
export const keyStoreFailed =
  (doing: string) =>
  (error: unknown): never => {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError({
      status: 503,
      code: "storage_unavailable",
      message: "the key store is unavailable; try again later",
      retryable: true,
      detail: `${doing} failed: ${describeError(error)}`,
    });
  };

/**
 * The key store as key administration calls it (`/admin/api/keys`): an embedder's store that
 * rejects, or throws before any promise, is `keyStoreFailed`; one answering a plain value is
 * taken at its word (core/guarded-calls.ts). The optional methods stay absent
 * where the store has none, so what falls back without them still does.
 */
export function failuresRetryable(store: KeyStore): KeyStore {
  const guarded = guardedCalls(store, keyStoreFailed("key store call"));
  const { createIfEmpty, createIfOnly, page, countActive, countActiveOutside, setLimits } = store;
  return {
    create: guarded(store.create),
    ...(createIfEmpty ? { createIfEmpty: guarded(createIfEmpty) } : {}),
    ...(createIfOnly ? { createIfOnly: guarded(createIfOnly) } : {}),
    getByHash: guarded(store.getByHash),
    getById: guarded(store.getById),
    findByName: guarded(store.findByName),
    list: guarded(store.list),
    ...(page ? { page: guarded(page) } : {}),
    count: guarded(store.count),
    ...(countActive ? { countActive: guarded(countActive) } : {}),
    ...(countActiveOutside ? { countActiveOutside: guarded(countActiveOutside) } : {}),
    revoke: guarded(store.revoke),
    setExpiresAt: guarded(store.setExpiresAt),
    ...(setLimits ? { setLimits: guarded(setLimits) } : {}),
    touch: guarded(store.touch),
    cursor: guarded(store.cursor),
    changedSince: guarded(store.changedSince),
  };
}
