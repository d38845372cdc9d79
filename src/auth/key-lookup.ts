import { shown } from "../core/cut-words.ts";
import { GatewayError, notFound } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { assertWithinScope, managedTenant, outsideTenant } from "./key-scope.ts";
import { keyStatus } from "./key-view.ts";
import type { KeyActor } from "./roles.ts";

/** What an admin does to a key found by id or name, as a refusal names it. */
export type ScopedAction = Parameters<typeof assertWithinScope>[2];

/** What is done to a key that exists already (found by id or by name). */
export type KeyChange = Exclude<ScopedAction, "create">;

/** What is done to a key found by name, which a name's keys in several tenants leave unclear. */
export type ByNameAction = KeyChange | "show";

/** How the key admin's operations find the keys they act on (key-admin.ts and its parts). */
export interface KeyLookup {
  /**
   * Keys of that name the actor manages (in `tenant` alone when given): another tenant's key of the
   * same name is neither found nor makes the name ambiguous (an id outside the actor's tenant is
   * refused by the checks).
   */
  named(actor: KeyActor, name: string, tenant?: string): Promise<KeyRecord[]>;
  /**
   * The key of that id when it is in a tenant the actor manages, else null: another tenant's id is
   * answered as one of no key (404, or looked up as a name), never refused (403), which would tell
   * an admin of one tenant that an id it learnt is a key, and another tenant's.
   */
  byId(actor: KeyActor, id: string): Promise<KeyRecord | null>;
  /**
   * By id, or the newest active key of that name: during a rotation's grace window the old and
   * the new key share the name, and rotating or changing it again means the one just issued. A
   * name's active keys in several tenants are several credentials: refused (409, `assertOneTenant`)
   * unless `tenant` says whose is meant (an id of another tenant than `tenant`: 404). An id of a
   * tenant the actor does not manage is as no key's (`byId`). The actor's reach is checked before
   * the key's status: a 404 for a revoked id beside a 403 for an active one would tell an admin
   * narrower than the key whether an id it learnt is still in use.
   */
  newestActive(actor: KeyActor, idOrName: string, action: KeyChange, tenant?: string): Promise<KeyRecord>;
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
  const named = async (actor: KeyActor, name: string, tenant?: string) => {
    const own = managedTenant(actor);
    const keys = await store.findByName(name);
    return keys.filter(
      (k) => (own === null || k.tenant === own) && (tenant === undefined || k.tenant === tenant),
    );
  };
  const byId = async (actor: KeyActor, id: string) => {
    const key = await store.getById(id);
    return key === null || outsideTenant(actor, key.tenant) === undefined ? key : null;
  };
  return {
    named,
    byId,
    isActive,
    async newestActive(actor, idOrName, action, tenant) {
      const found = await byId(actor, idOrName);
      if (found) {
        assertWithinScope(actor, found, action);
        // Refused as by name when of another tenant than the one named, or revoked or expired
        // (changing it would issue nothing that works), saying which: the actor may show it.
        if (tenant !== undefined && found.tenant !== tenant) throw noActiveKey(idOrName, tenant);
        if (!isActive(found)) throw noActiveKey(idOrName, tenant, [found]);
        return found;
      }
      const keys = await named(actor, idOrName, tenant);
      const active = keys.filter(isActive);
      assertOneTenant(idOrName, active, action);
      const newest = active.sort(newestFirst)[0];
      if (!newest) throw noActiveKey(idOrName, tenant, keys);
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

/** How a refusal names the tenant a key was looked for in (`?tenant=`, `--tenant`), if one was. */
export const inTenantWords = (tenant: string | undefined): string =>
  tenant === undefined ? "" : ` in tenant "${tenant}"`;

/**
 * The 404 for an id or name with no active key (in `tenant`, if named); `inactive`, the keys it
 * does name, none active, whose end is said (`: it is revoked`, `: its 2 keys have expired`): an
 * operator told only "no active key" of a key `keys show` finds cannot tell a typo from an end.
 * Said after the actor's reach is checked, to an actor that may show those keys.
 */
export const noActiveKey = (idOrName: string, tenant?: string, inactive: readonly KeyRecord[] = []) =>
  notFound(`no active key with id or name "${shown(idOrName)}"${inTenantWords(tenant)}${endWords(inactive)}`);

/** How keys none of which is active ended: revoked, expired (not revoked, so past its expiry), or both. */
function endWords(keys: readonly KeyRecord[]): string {
  if (keys.length === 0) return "";
  const revoked = keys.filter((key) => key.revokedAt !== null).length;
  const end = revoked === keys.length ? "revoked" : revoked === 0 ? "expired" : "revoked or expired";
  if (keys.length === 1) return end === "revoked" ? ": it is revoked" : ": it has expired";
  return end === "expired"
    ? `: its ${keys.length} keys have expired`
    : `: its ${keys.length} keys are ${end}`;
}

/** Which of one tenant's keys of the name is meant, said as both the CLI and the admin API take it. */
const NAME_THE_TENANT = "or name the tenant (--tenant / ?tenant=)";

/** What a refusal of an ambiguous name says was not done, and what to do instead. */
const INSTEAD: Record<ByNameAction, string> = {
  revoke: `nothing was revoked; revoke each by id ${NAME_THE_TENANT}`,
  rotate: `nothing was rotated; rotate each by id ${NAME_THE_TENANT}`,
  "change the limits of": `nothing was changed; change each by id ${NAME_THE_TENANT}`,
  show: `show each by id ${NAME_THE_TENANT}`,
};

/**
 * A name is one credential within a tenant (as a worker name is: docs/SECURITY.md); across
 * tenants (only an admin outside every tenant sees that) it is several, and which one is meant is
 * the operator's to say: by id, or by the name within one tenant (`tenant`).
 */
export function assertOneTenant(
  name: string,
  keys: readonly KeyRecord[],
  action: ByNameAction,
  which: "active keys" | "keys" = "active keys",
): void {
  if (new Set(keys.map((key) => key.tenant)).size <= 1) return;
  const each = keys.map((key) => `${key.id} in ${key.tenant}`).join(", ");
  throw new GatewayError({
    status: 409,
    code: "invalid_request",
    message: `${which} named "${name}" are in several tenants (${each}): ${INSTEAD[action]}`,
  });
}
