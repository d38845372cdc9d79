import type { KeyStore } from "../storage/storage.ts";
import type { Authenticator } from "./authenticate.ts";
import { keyStoreFailed } from "./key-store-failures.ts";

/** Key ids whose chain is remembered; past that, the longest remembered is let go. */
const REMEMBERED = 10_000;

const keyStoreUnavailable = keyStoreFailed("key chain lookup");

/**
 * An embedder's authenticator whose API-key principals always carry their rotation chain
 * (`Principal.chain`). One without it would be counted under its key's own id and held to that
 * total alone, while the database adds every write under a rotated key's own id to its chain
 * (spend migration 5 on SQLite, 6 on PostgreSQL): the rotation's new key would spend a budget of
 * its own, charged to the old key's too. A principal naming a key and no chain is given the chain
 * its key record names (a key the store does not hold is a chain of its own). A key's chain is
 * written when it is stored and never changes, so each id is read once.
 */
export function withKeyChains(authenticate: Authenticator, store: KeyStore): Authenticator {
  const chains = new Map<string, string>();
  const chainOf = async (keyId: string) => {
    const remembered = chains.get(keyId);
    if (remembered !== undefined) return remembered;
    const record = await store.getById(keyId).catch(keyStoreUnavailable);
    const chain = record?.chain ?? keyId;
    const oldest = chains.size >= REMEMBERED ? chains.keys().next().value : undefined;
    if (oldest !== undefined) chains.delete(oldest);
    chains.set(keyId, chain);
    return chain;
  };
  return async (headers) => {
    const principal = await authenticate(headers);
    if (principal.keyId === null || principal.chain !== undefined) return principal;
    return { ...principal, chain: await chainOf(principal.keyId) };
  };
}
