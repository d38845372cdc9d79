import { parseDuration } from "../config/units.ts";
import { shown } from "../core/cut-words.ts";
import { notFound } from "../core/gateway-error.ts";
import { askedTenant, changedTenant } from "../core/tenant-filter.ts";
import { keyPages, readKeyPage } from "../storage/key-pages.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyPosition, KeyStore } from "../storage/storage.ts";
import { keyInputSchemas } from "./key-admin-schemas.ts";
import { expiryAhead, parseKeyInput } from "./key-input.ts";
import { limitsChangeOf, limitsWriter } from "./key-limits.ts";
import { assertOneTenant, inTenantWords, keyLookup, newestFirst } from "./key-lookup.ts";
import { keyRevocation } from "./key-revocation.ts";
import { type KeySettings, keyRotation } from "./key-rotation.ts";
import { managedTenant } from "./key-scope.ts";
import { keyToCreate, knownTenant } from "./key-to-create.ts";
import { type KeyView, keyView } from "./key-view.ts";
import { newKey } from "./new-key.ts";
import { assertCanManageKeys, type KeyActor } from "./roles.ts";

export interface KeyAdminOptions {
  store: KeyStore;
  /** Called with every record this node changes; wire it to `KeyCache.onKeyChanged`. */
  onChange?: (record: KeyRecord) => void;
  now?: () => number;
  /**
   * The configured tenants' names, read at each create or rotate. When there are any, a key's
   * tenant must be one of them (or `default`: outside every tenant); with none, it is a free label.
   */
  tenants?: () => readonly string[];
}

/** Which keys `list` reads, within the actor's own tenant whatever it asks. */
export interface KeyListFilter {
  tenant?: string;
  /**
   * Only the keys of this name: the active ones are what a revoke by that name ends (a rotation's
   * old key in its grace window and its new one), however many pages of other keys lie between.
   */
  name?: string;
  includeRevoked?: boolean;
}

/** A key as issued: the plain `key` is in this value and nowhere else, ever. */
export interface IssuedKey extends KeyView {
  key: string;
}

/** What a revoke did: the key it names (by name, the newest it revoked), and every key it revoked. */
export interface RevokedKeys extends KeyView {
  /** Every key this revoke ended, newest first (by name during a rotation's grace window: both). */
  revoked: KeyView[];
}

/**
 * The operations behind `mindgw keys …` and `/admin/api/keys`, shared by both. Inputs are
 * `unknown` and parsed here, so the CLI and HTTP validate identically (400 on bad input).
 * Every operation checks the actor: only an admin (or the local operator) manages keys.
 */
export interface KeyAdmin {
  create(actor: KeyActor, input: unknown): Promise<IssuedKey>;
  /**
   * Keys newest first (by creation, then id): with `page`, at most `limit` after `after`, read as
   * one page of the store (`KeyStore.page`); without, every key, read a page at a time.
   */
  list(
    actor: KeyActor,
    filter?: KeyListFilter,
    page?: { after: KeyPosition | null; limit: number },
  ): Promise<KeyView[]>;
  /**
   * By id, or by name: the newest active key of that name, as `rotate` picks it (none active: the
   * newest of any status). A name's active keys in several tenants are refused (409) unless
   * `tenant` names the one meant, as for `rotate`, `setLimits` and `revoke`.
   */
  show(actor: KeyActor, idOrName: string, options?: InTenant): Promise<KeyView>;
  /**
   * By id (idempotent), or by name: every active key of that name (a rotation's old key in its
   * grace window and its new one alike), refused (409) when they are in several tenants, unless
   * `tenant` names the one whose keys are meant. `onRevoked` is told of each key as it is revoked
   * (and awaited), so a store failing midway leaves none of those it revoked untold.
   */
  revoke(
    actor: KeyActor,
    idOrName: string,
    options?: { tenant?: string; onRevoked?: (key: KeyView) => void | Promise<void> },
  ): Promise<RevokedKeys>;
  /**
   * New key, same settings; the old one stays valid for the grace window. Active keys only; by
   * name, the newest active one (`KeyLookup.newestActive`: refused, 409, when the name's active keys
   * are in several tenants and `tenant` names none). A limits change made to the old key while it
   * rotates is the new key's too (key-rotation.ts).
   */
  rotate(
    actor: KeyActor,
    idOrName: string,
    input?: unknown,
    options?: InTenant,
  ): Promise<IssuedKey & { previous: KeyView }>;
  /**
   * Changes an active key's models, limits, budget or expiry (what `input` names, and only that,
   * whatever else changed meanwhile; null lifts a limit), by id or by name (the newest active key
   * of that name, in `tenant` when given, as `rotate`). Its spend is kept: raising a spent budget lets the key through
   * again at once. A key rotated out (a newer key of its chain exists) may have its expiry
   * shortened, never lengthened or lifted. A revoke or rotation meanwhile: 409, nothing written.
   */
  setLimits(actor: KeyActor, idOrName: string, input: unknown, options?: InTenant): Promise<KeyView>;
}

/**
 * Which tenant's key a name means (`?tenant=`, `--tenant`): a name is one credential within a
 * tenant, so an admin outside every tenant names the tenant where the name's keys are in several.
 * Empty is absent to `show` (`askedTenant`) and refused (400) by a change (`changedTenant`).
 */
export interface InTenant {
  tenant?: string;
}

/** How many keys a listing of every key reads at once. */
const WHOLE_LIST_PAGE = 1000;

export function createKeyAdmin(options: KeyAdminOptions): KeyAdmin {
  const { store } = options;
  const now = options.now ?? Date.now;
  const assertKnownTenant = (tenant: string) => knownTenant(tenant, options.tenants?.() ?? []);
  const changed = (record: KeyRecord) => options.onChange?.(record);
  const issue = async (settings: KeySettings) => {
    const issued = newKey(settings, now());
    await store.create(issued.record);
    changed(issued.record);
    return issued;
  };
  const lookup = keyLookup(store, now);
  const writeLimits = limitsWriter({ store, lookup, changed });
  const rotation = keyRotation({
    store,
    lookup,
    writeLimits,
    changed,
    now,
    issue,
  });
  const revocation = keyRevocation({ store, lookup, changed, now });
  /**
   * The newest active key of that name among those the actor manages; none active, the newest of
   * any status. Either way held to one tenant: the keys it is chosen among in several are refused.
   */
  const newestNamed = async (actor: KeyActor, name: string, tenant?: string): Promise<KeyRecord> => {
    const keys = await lookup.named(actor, name, tenant);
    const active = keys.filter(lookup.isActive);
    if (active.length > 0) assertOneTenant(name, active, "show");
    else assertOneTenant(name, keys, "show", "keys");
    const newest = (active.length > 0 ? active : keys).sort(newestFirst)[0];
    if (!newest) throw notFound(`no key with id or name "${shown(name)}"${inTenantWords(tenant)}`);
    return newest;
  };

  return {
    async create(actor, input) {
      const settings = keyToCreate(actor, input, { now: now(), tenants: options.tenants?.() ?? [] });
      const { record, key } = await issue(settings);
      return { ...keyView(record, now()), key };
    },
    async list(actor, filter, page) {
      assertCanManageKeys(actor);
      // An admin in a tenant lists its own tenant's keys (asking for another is refused 403 before: read-scope.ts).
      const tenant = managedTenant(actor) ?? filter?.tenant;
      // Expired keys are listed with the revoked ones (`--all`), not as if they still worked.
      const at = now();
      const read = {
        ...(tenant === undefined ? {} : { tenant }),
        ...(filter?.name === undefined ? {} : { name: filter.name }),
        ...(filter?.includeRevoked ? {} : { activeAt: at }),
      };
      const keys = page
        ? await readKeyPage(store, read, page.after, page.limit)
        : (await Array.fromAsync(keyPages(store, read, WHOLE_LIST_PAGE))).flat();
      return keys.map((k) => keyView(k, at));
    },
    async show(actor, idOrName, options = {}) {
      assertCanManageKeys(actor);
      const tenant = askedTenant(options.tenant);
      // Another tenant's id is as no key's (KeyLookup.byId): 404, as a name none of its keys has.
      const key = (await lookup.byId(actor, idOrName)) ?? (await newestNamed(actor, idOrName, tenant));
      if (tenant !== undefined && key.tenant !== tenant)
        throw notFound(`no key with id or name "${shown(idOrName)}"${inTenantWords(tenant)}`);
      return keyView(key, now());
    },
    async revoke(actor, idOrName, { onRevoked, ...asked } = {}) {
      assertCanManageKeys(actor);
      const tenant = changedTenant(asked.tenant);
      const told = onRevoked && ((key: KeyRecord) => onRevoked(keyView(key, now())));
      const options = { ...(tenant === undefined ? {} : { tenant }), ...(told ? { onRevoked: told } : {}) };
      const revoked = (await revocation(actor, idOrName, options)).map((k) => keyView(k, now()));
      const [named] = revoked;
      if (!named) throw notFound(`no key with id or name "${shown(idOrName)}"${inTenantWords(tenant)}`);
      return { ...named, revoked };
    },
    async rotate(actor, idOrName, input = {}, options = {}) {
      assertCanManageKeys(actor);
      const tenant = changedTenant(options.tenant);
      const graceMs = parseDuration(parseKeyInput(keyInputSchemas().rotate, input).grace) ?? 0;
      const old = await lookup.newestActive(actor, idOrName, "rotate", tenant);
      // The copy keeps the old key's tenant: refused if `tenants:` no longer has it.
      assertKnownTenant(old.tenant);
      const { successor, key, previous } = await rotation(actor, old, graceMs);
      return { ...keyView(successor, now()), key, previous: keyView(previous, now()) };
    },
    async setLimits(actor, idOrName, input, options = {}) {
      assertCanManageKeys(actor);
      const tenant = changedTenant(options.tenant);
      const fields = expiryAhead(parseKeyInput(keyInputSchemas().limits, input), now());
      const change = limitsChangeOf(fields, now());
      const key = await lookup.newestActive(actor, idOrName, "change the limits of", tenant);
      const param = fields.expires_in === undefined ? "expires_at" : "expires_in";
      return keyView(await writeLimits(actor, key, change, param), now());
    },
  };
}
