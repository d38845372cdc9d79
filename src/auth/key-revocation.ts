import { shown } from "../core/cut-words.ts";
import { notFound } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { assertOneTenant, chainOf, type KeyLookup, newestFirst, noActiveKey } from "./key-lookup.ts";
import { assertWithinScope } from "./key-scope.ts";
import type { KeyActor } from "./roles.ts";

/**
 * Revokes the key of that id, or every active key of that name: during a rotation's grace window
 * the old key and its successor share the name, and an operator who revokes the name must not be
 * left with one of them working. Resolves with every key revoked, newest first.
 */
export type Revocation = (actor: KeyActor, idOrName: string, options?: RevokeOptions) => Promise<KeyRecord[]>;

export interface RevokeOptions {
  /**
   * The key's tenant: a revoke by id of a key of another tenant is refused (404), and one by name
   * ends the name's keys in this tenant alone: the one credential an admin outside
   * every tenant means, where the name's keys in several tenants are refused (the web UI's "Revoke
   * all N" sends the tenant of the key it was offered on, as it counted them).
   */
  readonly tenant?: string;
  /**
   * Told of (and awaited for) each key as it is revoked, before the next: a store failing midway
   * leaves the keys revoked before it told, whatever the whole answers.
   */
  readonly onRevoked?: OnRevoked;
}

/** Told of one key just revoked (the admin-action audit records it). */
export type OnRevoked = (key: KeyRecord) => void | Promise<void>;

export interface KeyRevocationDeps {
  readonly store: KeyStore;
  readonly lookup: KeyLookup;
  readonly changed: (record: KeyRecord) => void;
  readonly now: () => number;
}

/** How often a name is read again for successors that rotations under way issued meanwhile. */
const ROUNDS = 5;

export function keyRevocation({ store, lookup, changed, now }: KeyRevocationDeps): Revocation {
  /** Every one of `keys` revoked, or (one beyond the actor's reach) none. */
  const revokeAll = async (actor: KeyActor, keys: KeyRecord[], onRevoked: OnRevoked | undefined) => {
    for (const key of keys) assertWithinScope(actor, key, "revoke");
    const revoked: KeyRecord[] = [];
    for (const key of keys) {
      const record = await store.revoke(key.id, now());
      if (record === null) continue;
      changed(record);
      revoked.push(record);
      await onRevoked?.(record);
    }
    return revoked;
  };
  return async (actor, idOrName, { tenant, onRevoked } = {}) => {
    // Another tenant's id is as no key's: looked up as a name, which finds none of its keys either.
    const byId = await lookup.byId(actor, idOrName);
    if (byId) {
      // The tenant named is the one the operator means, by id as by name: a key of another tenant
      // is not the key asked for (an admin outside every tenant would revoke it).
      if (tenant !== undefined && byId.tenant !== tenant)
        throw notFound(
          `no key with id "${shown(idOrName)}" in tenant "${shown(tenant)}": nothing was revoked`,
        );
      return revokeAll(actor, [byId], onRevoked);
    }
    const named = () => lookup.named(actor, idOrName, tenant);
    const keys = await named();
    const active = keys.filter(lookup.isActive);
    if (active.length === 0) throw noActiveKey(idOrName, tenant, keys);
    assertOneTenant(idOrName, active, "revoke");
    // Newest first, as the answer lists them: a store failing midway has revoked the newest.
    const revoked = await revokeAll(actor, active.sort(newestFirst), onRevoked);
    // A rotation of one of them that ended its key before the revoke has issued a successor the
    // read above may not have seen (one that had not, gives up: key-rotation.ts): revoked too.
    const chains = new Set(active.map(chainOf));
    for (let round = 1; round < ROUNDS; round++) {
      const issued = (await named()).filter((key) => lookup.isActive(key) && chains.has(chainOf(key)));
      if (issued.length === 0) break;
      revoked.push(...(await revokeAll(actor, issued, onRevoked)));
    }
    return revoked.sort(newestFirst);
  };
}
