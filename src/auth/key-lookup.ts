import { notFound } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { assertWithinScope, managedTenant } from "./key-scope.ts";
import { keyStatus } from "./key-view.ts";
import type { KeyActor } from "./roles.ts";

/** What an admin does to a key found by id or name, as a refusal names it. */
export type ScopedAction = Parameters<typeof assertWithinScope>[2];

/** How the key admin's operations find the keys they act on (key-admin.ts and its parts). */
export interface KeyLookup {
  /**
   * Keys of that name the actor manages, newest first: another tenant's key of the same name is
   * neither found nor makes the name ambiguous (an id outside the actor's tenant is refused by
   * the checks).
   */
  named(actor: KeyActor, name: string): Promise<KeyRecord[]>;
  /**
   * By id, or the newest active key of that name: during a rotation's grace window the old and
   * the new key share the name, and rotating or changing it again means the one just issued. The
   * actor's reach is checked before the key's status: a 404 for a revoked id beside a 403 for an
   * active one would tell an admin of another tenant whether an id it learnt is still in use.
   */
  newestActive(actor: KeyActor, idOrName: string, action: ScopedAction): Promise<KeyRecord>;
  /**
   * An unrevoked key of `key`'s rotation chain issued no earlier than it (within one millisecond,
   * either of two). A revoked one replaces nothing: a rotation given up revoked its new key, and the
   * key it rotated is as if never rotated. Not `besides` (by id): a rotation under way asks for
   * another than its own new key.
   */
  successorOf(key: KeyRecord, besides?: string): Promise<KeyRecord | undefined>;
  /** Whether the key works now: neither revoked nor expired. */
  isActive(key: KeyRecord): boolean;
}

export function keyLookup(store: KeyStore, now: () => number): KeyLookup {
  const isActive = (key: KeyRecord) => keyStatus(key, now()) === "active";
  const named = async (actor: KeyActor, name: string) => {
    const own = managedTenant(actor);
    const keys = await store.findByName(name);
    return own === null ? keys : keys.filter((k) => k.tenant === own);
  };
  return {
    named,
    isActive,
    async newestActive(actor, idOrName, action) {
      const byId = await store.getById(idOrName);
      if (byId) {
        assertWithinScope(actor, byId, action);
        // Refused as by name when revoked or expired: changing it would issue nothing that works.
        if (!isActive(byId)) throw noActiveKey(idOrName);
        return byId;
      }
      const newest = (await named(actor, idOrName)).filter(isActive).sort(newestFirst)[0];
      if (!newest) throw noActiveKey(idOrName);
      assertWithinScope(actor, newest, action);
      return newest;
    },
    async successorOf(key, besides) {
      const chain = chainOf(key);
      const sameName = await store.findByName(key.name);
      // A rotation's key names its chain; the chain's first key (no `chain`) succeeds nothing.
      return sameName.find(
        (k) =>
          k.id !== key.id &&
          k.id !== besides &&
          k.chain === chain &&
          k.createdAt >= key.createdAt &&
          k.revokedAt === null,
      );
    },
  };
}

/** Newest first; within one millisecond, the one that does not expire first (not a rotation's old one). */
export const newestFirst = (a: KeyRecord, b: KeyRecord): number =>
  b.createdAt - a.createdAt || lasts(b) - lasts(a);

const lasts = (key: KeyRecord) => key.expiresAt ?? Number.POSITIVE_INFINITY;

/** The first key of `key`'s rotation chain: the keys a rotation left share it. */
export const chainOf = (key: KeyRecord): string => key.chain ?? key.id;

export const noActiveKey = (idOrName: string) => notFound(`no active key with id or name "${idOrName}"`);
