import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import type { IssuedKey, KeyAdminOptions } from "./key-admin.ts";
import { keyView } from "./key-view.ts";
import { newKey } from "./new-key.ts";

/**
 * First start of `serve`: an empty store gets one admin key, returned so the caller prints
 * it once. Returns null when any key exists, including one that another node starting at the
 * same moment inserted first (`KeyStore.createIfEmpty`): of nodes started together on an empty
 * database, one creates and prints a key.
 */
export async function ensureBootstrapAdmin(
  store: KeyStore,
  options: Pick<KeyAdminOptions, "onChange" | "now"> = {},
): Promise<IssuedKey | null> {
  // The usual start finds keys: a read, never a write under the change lock.
  if ((await store.count()) > 0) return null;
  const now = options.now ?? Date.now;
  const { record, key } = newKey(
    {
      name: "bootstrap-admin",
      tenant: DEFAULT_TENANT,
      role: "admin",
      models: ["*"],
      rpm: null,
      tpm: null,
      budgetUsd: null,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    },
    now(),
  );
  if (!(await insertedFirst(store, record))) return null;
  options.onChange?.(record);
  return { ...keyView(record, now()), key };
}

/**
 * Whether the bootstrap key was inserted (false: another process's key was there first). A write
 * the database never confirmed (`storage_outcome_unknown`) is looked for: if it landed the key is
 * this process's to hand out (no other will), else the start fails as on any storage failure.
 */
async function insertedFirst(store: KeyStore, record: KeyRecord): Promise<boolean> {
  try {
    if (store.createIfEmpty !== undefined) return await store.createIfEmpty(record);
    await store.create(record);
    return true;
  } catch (error) {
    const unconfirmed = error instanceof GatewayError && error.code === "storage_outcome_unknown";
    if (unconfirmed && (await store.getById(record.id)) !== null) return true;
    throw error;
  }
}
