import { GatewayError } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { MAX_KEY_LIFE_MS } from "./key-admin-schemas.ts";
import { type LimitsWriter, limitsChanged, limitsOf } from "./key-limits.ts";
import { chainOf, type KeyLookup } from "./key-lookup.ts";
import { assertWithinScope } from "./key-scope.ts";
import type { KeyActor } from "./roles.ts";

/** What a key is made with; its id, secret and creation time are the issuer's (and its version, the store's). */
export type KeySettings = Omit<KeyRecord, "id" | "hash" | "prefix" | "last4" | "createdAt" | "version">;

/** A rotation done: the new key with its plain secret (shown once), and the old key as it now ends. */
export interface Rotated {
  successor: KeyRecord;
  key: string;
  previous: KeyRecord;
}

/** Issues `old`'s successor, then bounds `old`'s life to `graceMs` from now (never lengthening it). */
export type Rotation = (actor: KeyActor, old: KeyRecord, graceMs: number) => Promise<Rotated>;

export interface KeyRotationDeps {
  readonly store: KeyStore;
  readonly lookup: KeyLookup;
  readonly writeLimits: LimitsWriter;
  readonly changed: (record: KeyRecord) => void;
  readonly now: () => number;
  /** Stores a new key with these settings: its record and plain secret. */
  readonly issue: (settings: KeySettings) => Promise<{ record: KeyRecord; key: string }>;
}

/** How often the old key is read again after a limits change landed on it since it was copied. */
const TRIES = 5;

/**
 * The successor is issued first, so no old key is ever left expiring with none. The old key's end
 * is then written only while it is as copied: a limits change landed on it since is carried to
 * the successor (what changed, and only that) and the end written again, so the successor ends
 * with the limits the old key had when its end was set and no admin's change is lost. A revoke
 * meanwhile revokes the successor too (409): a revoked key's rotation never leaves a key working.
 * So does another rotation of the key that issued its own successor meanwhile (409): what it wrote
 * on the old key is its end, which is no admin's change to carry, and the old key has one
 * successor, not two.
 */
export function keyRotation(deps: KeyRotationDeps): Rotation {
  const { store, lookup, changed, now } = deps;
  /** The old key's end, while it is as copied (a store without setLimits: as before, regardless). */
  const endOf = async (copied: KeyRecord, at: number) => {
    const written = store.setLimits
      ? await store.setLimits(copied.id, { ...limitsOf(copied), expiresAt: at }, copied)
      : await store.setExpiresAt(copied.id, at);
    if (written) changed(written);
    return written;
  };
  /** A rotation given up: its successor, whose secret nobody was shown, revoked. */
  const undo = async (successor: KeyRecord) => {
    const revoked = await store.revoke(successor.id, now());
    if (revoked) changed(revoked);
  };

  return async (actor, old, graceMs) => {
    // A key rotated already (its successor unrevoked, the key in its grace window) is not rotated
    // again: its new key would copy the grace window's end as its own expiry, a second successor
    // of one key that dies within minutes. The successor is the one to rotate.
    const rotatedTo = await lookup.successorOf(old);
    if (rotatedTo)
      throw new GatewayError({
        status: 409,
        code: "invalid_request",
        message: `key ${old.id} was rotated already (its new key is ${rotatedTo.id}): rotate ${rotatedTo.id}, or "${old.name}" by name`,
      });
    // One chain from the first key on: its keys' spend is counted under its first key's id, one
    // total and one budget for the old key in its grace window and the new one alike.
    const { id: _id, hash: _h, prefix: _p, last4: _l, createdAt: _c, version: _v, ...settings } = old;
    // An old key's expiry further off than a key may now live (an older release's unbounded
    // lifetime) is not handed on: the new key ends within the longest life a create would give.
    const { expiresAt } = settings;
    const issued = await deps.issue({
      ...settings,
      expiresAt: expiresAt === null ? null : Math.min(expiresAt, now() + MAX_KEY_LIFE_MS),
      revokedAt: null,
      lastUsedAt: null,
      chain: chainOf(old),
    });
    let successor = issued.record;
    // A store that drops `chain` would make the new key a chain of its own, its budget started
    // again from nothing: refused before the old key's end is set, the new key revoked.
    if ((await store.getById(successor.id))?.chain !== chainOf(old)) {
      await undo(successor);
      throw new GatewayError({
        status: 500,
        code: "internal_error",
        message: `the key store did not keep the rotation chain of key ${old.id}'s new key (KeyRecord.chain), which would spend a budget of its own: nothing was rotated (its new key ${successor.id} was revoked)`,
      });
    }
    for (let copied = old, tries = 1; ; tries++) {
      const ended = await endOf(
        copied,
        Math.min(copied.expiresAt ?? Number.POSITIVE_INFINITY, now() + graceMs),
      );
      if (ended && ended.revokedAt === null) return { successor, key: issued.key, previous: ended };
      const current = ended ?? (await store.getById(copied.id));
      if (current === null || !lookup.isActive(current) || tries === TRIES) {
        await undo(successor);
        const why = current && lookup.isActive(current) ? `changed ${TRIES} times` : "was revoked or expired";
        throw notRotated(old, successor, `${why} while it was being rotated`);
      }
      if (await lookup.successorOf(current, successor.id)) {
        await undo(successor);
        throw notRotated(old, successor, "is being rotated by another request");
      }
      try {
        // Changed meanwhile past this admin's reach (widened by a wider admin): not rotated.
        assertWithinScope(actor, current, "rotate");
      } catch (error) {
        await undo(successor);
        throw error;
      }
      const change = limitsChanged(copied, current);
      if (Object.keys(change).length > 0)
        successor = await deps.writeLimits(actor, successor, change, "expires_at");
      copied = current;
    }
  };
}

/** A rotation given up (its new key revoked): `what` befell the old key. */
const notRotated = (old: KeyRecord, successor: KeyRecord, what: string) =>
  new GatewayError({
    status: 409,
    code: "invalid_request",
    message: `key ${old.id} ${what}: nothing was rotated (its new key ${successor.id} was revoked)`,
  });
