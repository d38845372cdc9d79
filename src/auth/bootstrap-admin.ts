import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import type { Logger } from "../log/logger.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import type { IssuedKey, KeyAdminOptions } from "./key-admin.ts";
import { keyView } from "./key-view.ts";
import { newKey } from "./new-key.ts";

/**
 * First start of `serve`: an empty store gets one admin key, handed to `hand` once (`serve` prints
 * it). Nothing when any key exists, including one that another node starting at the same moment
 * inserted first (`KeyStore.createIfEmpty`): of nodes started together on an empty database, one
 * creates and hands over a key.
 *
 * The key is stored revoked-until-handed: inserted expired since the epoch (it admits nobody,
 * whatever a node's clock says, yet the store is no longer empty, so no other node makes one),
 * handed over, and only then made valid. A `hand` that
 * throws leaves it revoked too, and a store holding nothing but such abandoned keys counts as empty
 * at the next start: before, the key stayed valid and unseen, and no later start made one (the
 * operator locked out). An async `hand` is awaited: the key admits nobody until its promise fulfils.
 * One handed over but never made valid (the store failed, the process died) counts as abandoned too,
 * revoked or not, once older than `HAND_OVER_MS`: it is revoked and replaced.
 */
export async function ensureBootstrapAdmin(
  store: KeyStore,
  hand: (issued: IssuedKey) => unknown,
  options: BootstrapOptions = {},
): Promise<void> {
  const now = options.now ?? Date.now;
  const stored = await store.count();
  // The usual start finds keys it did not abandon: two reads, never a write under the change lock.
  const abandoned = stored > 0 ? await onlyAbandoned(store, stored, now()) : [];
  if (abandoned === null) return;
  // Handed over but never made valid (the store failed, or the process died, in between): the
  // operator may hold it, so it is revoked rather than left expired-until-who-knows.
  for (const key of abandoned) if (key.revokedAt === null) await revokeAbandoned(store, key.id, options);
  const createdAt = now();
  const { record, key } = newKey(
    {
      name: BOOTSTRAP_NAME,
      tenant: DEFAULT_TENANT,
      role: "admin",
      models: ["*"],
      rpm: null,
      tpm: null,
      budgetUsd: null,
      // Expired since the epoch until it has been handed over (below): expiring at its creation, it
      // was valid to a node whose clock lags this one's.
      expiresAt: PENDING,
      revokedAt: null,
      lastUsedAt: null,
    },
    createdAt,
  );
  // Only while the store still holds nothing but the abandoned keys read above: of nodes recovering
  // at once, as of nodes starting on an empty store, one inserts (the others find its key pending).
  if (!(await insertedFirst(store, record, abandoned))) return;
  try {
    // Awaited: an async receiver that rejects has failed to take the key as surely as one that throws.
    await hand({ ...keyView({ ...record, expiresAt: null }, now()), key });
  } catch (error) {
    // Seen by nobody, or by a receiver that failed part-way: it never admits anyone.
    await revokeAbandoned(store, record.id, options);
    throw error;
  }
  const valid = await store.setExpiresAt(record.id, null);
  if (valid) options.onChange?.(valid);
  // A receiver slower than HAND_OVER_MS: another start took this key for abandoned, revoked it and
  // handed over its own. Making it valid does not undo the revoke, so the key just handed over
  // admits nobody: said, not left for the operator to find.
  if (valid?.revokedAt != null)
    throw new Error(
      `the bootstrap admin key was handed over after another start took it for abandoned (its receiver took over ${HAND_OVER_MS / 1000} s): it admits nobody; the key that start handed over is the one to use`,
    );
}

const BOOTSTRAP_NAME = "bootstrap-admin";
/** A bootstrap key's expiry until it has been handed over: the epoch, in the past on every clock. */
const PENDING = 0;

/** Pending, or so marked by releases that inserted it expiring at its creation. */
const pendingMark = (key: KeyRecord) => key.expiresAt === PENDING || key.expiresAt === key.createdAt;

/**
 * How long a pending bootstrap key is taken for another node's hand-over in flight: past it, one
 * never made valid is abandoned, revoked or not.
 */
const HAND_OVER_MS = 60_000;

export interface BootstrapOptions extends Pick<KeyAdminOptions, "onChange" | "now"> {
  /** Told of a revoke that failed (the key admits nobody all the same; the next start retries). */
  logger?: Pick<Logger, "warn">;
}

/** A bootstrap key whose handing over failed: never used, still pending, and refused or stale. */
const abandonedAt = (key: KeyRecord, now: number) =>
  key.lastUsedAt === null &&
  pendingMark(key) &&
  (key.revokedAt !== null || now - key.createdAt >= HAND_OVER_MS);

/** The store's `stored` keys when every one is an abandoned bootstrap key; null otherwise. */
async function onlyAbandoned(store: KeyStore, stored: number, now: number): Promise<KeyRecord[] | null> {
  const named = await store.findByName(BOOTSTRAP_NAME);
  return named.length === stored && named.every((key) => abandonedAt(key, now)) ? named : null;
}

/** Revokes a pending key; a failure is logged, not thrown (pending, it admits nobody regardless). */
async function revokeAbandoned(store: KeyStore, id: string, options: BootstrapOptions): Promise<void> {
  const now = options.now ?? Date.now;
  try {
    const revoked = await store.revoke(id, now());
    if (revoked) options.onChange?.(revoked);
  } catch (error) {
    options.logger?.warn(
      `could not revoke the bootstrap admin key that was never handed over (it admits nobody; the next start replaces it): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Whether the bootstrap key was inserted (false: another process's key was there first). A write
 * the database never confirmed (`storage_outcome_unknown`) is looked for: if it landed the key is
 * this process's to hand out (no other will), else the start fails as on any storage failure.
 * `abandoned`: the keys the store may hold besides it (none: it must be empty). A store without
 * the atomic insert it needs gets a plain `create`.
 */
async function insertedFirst(
  store: KeyStore,
  record: KeyRecord,
  abandoned: readonly KeyRecord[],
): Promise<boolean> {
  try {
    if (abandoned.length === 0 && store.createIfEmpty !== undefined) return await store.createIfEmpty(record);
    if (abandoned.length > 0 && store.createIfOnly !== undefined)
      return await store.createIfOnly(
        record,
        abandoned.map((key) => key.id),
      );
    await store.create(record);
    return true;
  } catch (error) {
    const unconfirmed = error instanceof GatewayError && error.code === "storage_outcome_unknown";
    if (unconfirmed && (await store.getById(record.id)) !== null) return true;
    throw error;
  }
}
