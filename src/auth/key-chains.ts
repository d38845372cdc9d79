import type { KeyStore } from "../storage/storage.ts";
import type { Authenticator } from "./authenticate.ts";
import { KEY_ID_PREFIX } from "./caller-id.ts";
import { failuresRetryable } from "./key-store-failures.ts";
import type { Principal } from "./principal.ts";

export interface KeyChainOptions {
  now?: () => number;
  /** How long a key id the store does not hold is taken as a chain of its own. Default 5000 ms, as KeyCache's. */
  negativeTtlMs?: number;
}

/** Key ids whose chain is remembered, as many as KeyCache holds keys; past that, the longest remembered is let go. */
const REMEMBERED = 100_000;

/** A key id's chain as read, or being read; `until` bounds an unheld key's answer (Infinity for a held one). */
interface Remembered {
  chain: Promise<string>;
  until: number;
}

/**
 * An embedder's authenticator whose API-key principals always carry their rotation chain
 * (`Principal.chain`). One without it would be counted under its key's own id and held to that
 * total alone, while the database adds every write under a rotated key's own id to its chain
 * (spend migration 5 on SQLite, 6 on PostgreSQL): the rotation's new key would spend a budget of
 * its own, charged to the old key's too. A principal naming a key and no chain is given the chain
 * its key record names. A key's chain is written when it is stored and never changes, so a held
 * key is read once (concurrent first requests share the read); a key the store does not hold yet
 * is a chain of its own for `negativeTtlMs`, then read again. Only ids that can be a stored key's
 * (`key_…`, as spend 7's trigger reads them) are looked up. A store that fails, rejecting or
 * throwing, is a 503 to retry (key-store-failures.ts), not the uniform 401.
 */
export function withKeyChains(
  authenticate: Authenticator,
  store: KeyStore,
  options: KeyChainOptions = {},
): Authenticator {
  const { getById } = failuresRetryable(store);
  const now = options.now ?? Date.now;
  const negativeTtlMs = options.negativeTtlMs ?? 5000;
  const chains = new Map<string, Remembered>();
  /** A held key's principal given its chain, per principal object: an embedder handing back the same one gets the same one. */
  const chained = new WeakMap<Principal, Principal>();

  const read = (keyId: string): Remembered => {
    const remembered: Remembered = { chain: Promise.resolve(keyId), until: Number.POSITIVE_INFINITY };
    remembered.chain = getById(keyId).then(
      (record) => {
        if (record === null) remembered.until = now() + negativeTtlMs;
        return record?.chain ?? keyId;
      },
      (error: unknown) => {
        if (chains.get(keyId) === remembered) chains.delete(keyId);
        throw error;
      },
    );
    return remembered;
  };
  const chainOf = (keyId: string): Remembered => {
    const remembered = chains.get(keyId);
    if (remembered !== undefined && now() < remembered.until) return remembered;
    if (remembered !== undefined) chains.delete(keyId);
    else if (chains.size >= REMEMBERED) {
      const oldest = chains.keys().next();
      if (!oldest.done) chains.delete(oldest.value);
    }
    const fresh = read(keyId);
    chains.set(keyId, fresh);
    return fresh;
  };

  return async (headers) => {
    const principal = await authenticate(headers);
    const { keyId } = principal;
    if (keyId === null || principal.chain !== undefined || !keyId.startsWith(KEY_ID_PREFIX)) return principal;
    const known = chained.get(principal);
    if (known !== undefined) return known;
    const remembered = chainOf(keyId);
    const withChain = { ...principal, chain: await remembered.chain };
    if (remembered.until === Number.POSITIVE_INFINITY) chained.set(principal, withChain);
    return withChain;
  };
}
