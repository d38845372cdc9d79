import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { forbidden } from "../core/gateway-error.ts";
import { withinDates } from "../core/last-date.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import { coversGlob } from "./model-glob.ts";
import type { Principal } from "./principal.ts";
import type { KeyActor } from "./roles.ts";

/** What a key may do, and for how long: the part of a key that scope compares. */
export type KeyReach = Pick<KeyRecord, "tenant" | "models" | "rpm" | "tpm" | "budgetUsd" | "expiresAt">;

/**
 * The one tenant whose keys the actor manages, or null for every tenant: an admin in a tenant
 * manages only its own tenant's keys; the local operator and an admin of `default` manage them all.
 * Any other tenant name holds its admin to that name, whether `tenants:` lists it or not (an
 * embedder's principal of a tenant not listed too: fail closed, EMBEDDING.md §3); what an admin
 * reads follows the same rule (tenants/read-scope.ts).
 */
export function managedTenant(actor: KeyActor): string | null {
  if (actor === "local-operator" || actor.tenant === DEFAULT_TENANT) return null;
  return actor.tenant;
}

/**
 * The tenant a key created without one goes into: the one the actor is held to, or `default` for
 * an actor of every tenant (the local operator, an admin of `default`).
 */
export const homeTenant = (actor: KeyActor): string => managedTenant(actor) ?? DEFAULT_TENANT;

/** Why a key of `tenant` is beyond the actor's tenant, or undefined when it is not. */
export function outsideTenant(actor: KeyActor, tenant: string): string | undefined {
  const own = managedTenant(actor);
  return own === null || own === tenant
    ? undefined
    : // Another tenant's name is not told: an id learnt elsewhere must not say whose it is.
      `its tenant is outside this key's own tenant "${own}"`;
}

/** A limit the actor has bounds the key's: unlimited (null) or higher is wider. */
const within = (mine: number | undefined, theirs: number | null) =>
  mine === undefined || (theirs !== null && theirs <= mine);

/** Why `key` reaches further than `actor`, or undefined when it does not. */
export function widerThan(actor: KeyActor, key: KeyReach): string | undefined {
  if (actor === "local-operator") return undefined;
  // A key in another tenant escapes this one's models, limits and budget, whatever its own are.
  const elsewhere = outsideTenant(actor, key.tenant);
  if (elsewhere) return elsewhere;
  const outside = key.models.filter((model) => !coversGlob(actor.models, model));
  if (outside.length > 0) return `models ${outside.join(", ")} are outside this key's own models`;
  if (!within(actor.limits.rpm, key.rpm)) return `rpm above this key's own (${actor.limits.rpm})`;
  if (!within(actor.limits.tpm, key.tpm)) return `tpm above this key's own (${actor.limits.tpm})`;
  if (!within(actor.limits.budgetUsd, key.budgetUsd))
    return `budget above this key's own (${actor.limits.budgetUsd} USD)`;
  return outlives(credentialEnd(actor), key.expiresAt);
}

/** When the actor's credential ends: a web UI session's is the key's or token's it signed in with. */
const credentialEnd = (actor: Principal): number | undefined =>
  actor.credentialExpiresAt === undefined ? actor.expiresAt : (actor.credentialExpiresAt ?? undefined);

/**
 * Why a key outlives an actor that expires, or undefined: an admin credential that ends (a
 * contractor's key, a JWT's `exp`) must not leave behind a key that does not, nor end one that
 * would outlast it.
 */
function outlives(actorEnds: number | undefined, keyEnds: number | null): string | undefined {
  if (actorEnds === undefined || (keyEnds !== null && keyEnds <= actorEnds)) return undefined;
  const when = new Date(withinDates(actorEnds)).toISOString();
  return keyEnds === null
    ? `it never expires, and this credential expires at ${when}`
    : `it expires after this credential does (${when})`;
}

/**
 * An admin key manages only keys within its own reach: it cannot mint or rotate a key in another
 * tenant, with models or limits beyond its own or outliving it, nor revoke a key wider than itself
 * (a narrow or expiring admin key must not be able to lock out the unrestricted one). The local
 * operator (store file access) is not bounded.
 */
export function assertWithinScope(
  actor: KeyActor,
  key: KeyReach,
  action: "create" | "rotate" | "revoke" | "change the limits of",
): void {
  const why = widerThan(actor, key);
  if (why) throw forbidden(`this admin key may not ${action} a key wider than itself: ${why}`);
}
