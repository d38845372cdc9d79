import { parseDuration } from "../config/units.ts";
import { badRequest, GatewayError, unsupportedOperation } from "../core/gateway-error.ts";
import type { KeyLimits, KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import type { KeyLimitsFields } from "./key-admin-schemas.ts";
import type { KeyLookup } from "./key-lookup.ts";
import { assertWithinScope } from "./key-scope.ts";
import type { KeyActor } from "./roles.ts";

/** The limits a change names, each to its new value (an expiry as a time: epoch ms, null never). */
export type LimitsChange = Partial<KeyLimits>;

/** The input field an expiry was given in, for a refusal to name. */
export type ExpiryParam = "expires_at" | "expires_in";

/**
 * Changes a key's limits by what a change names, and nothing else, whatever else changed
 * meanwhile. Every check (the actor's reach, the rotated-out rule) is made on what the key would
 * be; a conditional write then stores it only while the key is as read, else the key is read
 * again and the change applied over what it now is (another admin's change to another limit
 * kept; a rotation's end makes the key rotated out). Resolves with the key as written.
 */
export type LimitsWriter = (
  actor: KeyActor,
  key: KeyRecord,
  change: LimitsChange,
  param: ExpiryParam,
) => Promise<KeyRecord>;

/** What a change of limits reads, writes and tells. */
export interface LimitsWriterDeps {
  readonly store: KeyStore;
  readonly lookup: KeyLookup;
  /** Tells the cache (and other nodes) of a record written. */
  readonly changed: (record: KeyRecord) => void;
}

/** How often a change is applied again over another admin's change landed meanwhile. */
const TRIES = 5;
const ACTION = "change the limits of";

export function limitsWriter({ store, lookup, changed }: LimitsWriterDeps): LimitsWriter {
  const apply: LimitsWriter = async (actor, read, change, param) => {
    const setLimits = store.setLimits?.bind(store);
    if (setLimits === undefined)
      throw unsupportedOperation(
        "this gateway's key store cannot change a key's limits (it has no setLimits)",
      );
    // A rotation is told by its successor. One that ends the key after this read moves its version,
    // so the write below is refused and the key read again: rotated out now, it is held to the
    // rule as if it had been at the read, and the change, which its successor was copied without,
    // follows it there. (One still under way when the write lands carries the change itself when
    // it ends the key: key-rotation.ts.)
    let successor = await lookup.successorOf(read);
    let follows: KeyRecord | undefined;
    for (let key = read, tries = 1; ; tries++) {
      const limits = { ...limitsOf(key), ...change };
      // Both sides bounded: a narrow admin may neither loosen a key past its own reach nor
      // tighten one beyond it (the unrestricted admin's key to an rpm of 1, or an expiry of now).
      assertWithinScope(actor, key, ACTION);
      assertWithinScope(actor, { ...key, ...limits }, ACTION);
      // A rotated-out key lives out its grace window beside its successor, each able to spend a
      // budget: made longer or permanent, the old credential would never end.
      if (successor && outlives(limits.expiresAt, key.expiresAt)) throw rotatedOut(key, successor, param);
      const written = await setLimits(key.id, limits, key);
      if (written) {
        changed(written);
        if (follows) await apply(actor, follows, change, param);
        return written;
      }
      // A revoke meanwhile is never undone; another admin's change is kept.
      const current = await store.getById(key.id);
      if (current === null || !lookup.isActive(current)) throw changedMeanwhile(key.id);
      if (successor === undefined) {
        follows = await lookup.successorOf(current);
        successor = follows;
      }
      if (tries === TRIES) throw changedMeanwhile(key.id, `changed ${TRIES} times`);
      key = current;
    }
  };
  return apply;
}

/** A key's limits alone: what `KeyStore.setLimits` writes and compares. */
export const limitsOf = (key: KeyLimits): KeyLimits => ({
  models: key.models,
  rpm: key.rpm,
  tpm: key.tpm,
  budgetUsd: key.budgetUsd,
  expiresAt: key.expiresAt,
});

/** The limits `after` has that `before` had not: what changed a key in between. */
export function limitsChanged(before: KeyLimits, after: KeyLimits): LimitsChange {
  const sameModels = JSON.stringify(before.models) === JSON.stringify(after.models);
  return {
    ...(sameModels ? {} : { models: after.models }),
    ...(before.rpm === after.rpm ? {} : { rpm: after.rpm }),
    ...(before.tpm === after.tpm ? {} : { tpm: after.tpm }),
    ...(before.budgetUsd === after.budgetUsd ? {} : { budgetUsd: after.budgetUsd }),
    ...(before.expiresAt === after.expiresAt ? {} : { expiresAt: after.expiresAt }),
  };
}

/** The change a `keys update` input names, its expiry resolved at `now`. */
export function limitsChangeOf(fields: KeyLimitsFields, now: number): LimitsChange {
  const expiresAt = expiryOf(fields, now);
  return {
    ...(fields.models === undefined ? {} : { models: fields.models }),
    ...(fields.rpm === undefined ? {} : { rpm: fields.rpm }),
    ...(fields.tpm === undefined ? {} : { tpm: fields.tpm }),
    ...(fields.budget_usd === undefined ? {} : { budgetUsd: fields.budget_usd }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** The expiry an input asks for (epoch ms; null: never), or undefined when it names none. */
export function expiryOf(
  fields: { expires_at?: string | null; expires_in?: string },
  now: number,
): number | null | undefined {
  if (fields.expires_in !== undefined) return now + (parseDuration(fields.expires_in) ?? 0);
  if (fields.expires_at === undefined) return undefined;
  return fields.expires_at === null ? null : Date.parse(fields.expires_at);
}

/** Whether expiry `next` (null: never) ends later than `current`. */
const outlives = (next: number | null, current: number | null) =>
  current !== null && (next === null || next > current);

const rotatedOut = (key: KeyRecord, successor: KeyRecord, param: ExpiryParam) =>
  badRequest(
    `key ${key.id} was rotated (key ${successor.id} replaces it): its expiry may be shortened, not lengthened or lifted; change the new key's instead`,
    param,
  );

const changedMeanwhile = (id: string, how = "was revoked") =>
  new GatewayError({
    status: 409,
    code: "invalid_request",
    message: `key ${id} ${how} while its limits were being changed: nothing was written; read it again`,
  });
