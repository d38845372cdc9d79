import { z } from "zod";

/** The three roles a caller can hold (SPEC: Auth). A closed set, so a z.enum. */
export const roleSchema = z.enum(["admin", "user", "worker"]);
export type Role = z.infer<typeof roleSchema>;

/**
 * One API key as persisted. Times are epoch milliseconds. `hash` is the SHA-256 hex of the
 * full key; the plain key itself is never stored. `prefix` and `last4` exist only so listings
 * can show `mgw_AbCd…wxyz`.
 */
export interface KeyRecord {
  id: string;
  hash: string;
  prefix: string;
  last4: string;
  name: string;
  tenant: string;
  role: Role;
  /** Model-name globs (`gpt-*`, `*`, exact names). */
  models: string[];
  rpm: number | null;
  tpm: number | null;
  budgetUsd: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  /**
   * The id of the first key of this key's rotation chain, on a key a rotation issued (a rotation
   * of a rotated key keeps it): the chain's keys share one spend, each taking its predecessor's
   * over, and one budget. Absent on a key no rotation issued (its chain is itself) and on keys
   * stored before chains were recorded.
   */
  chain?: string;
  /**
   * The store's change number of the key as read (both built-in stores' `seq`): every change to
   * the key (a revoke, a limits change, a rotation's end, whatever it writes) moves it, and
   * `KeyStore.setLimits` writes only while it is as read. Absent on a key not read from a store
   * (one being created), and from a store that keeps none.
   */
  version?: number;
}

/** What an admin may change on an existing key (`KeyStore.setLimits`): what bounds it, never who it is. */
export type KeyLimits = Pick<KeyRecord, "models" | "rpm" | "tpm" | "budgetUsd" | "expiresAt">;

/** A key's limits as the `api_keys` table's columns (models as JSON text). */
export function limitColumns(r: KeyLimits) {
  return {
    models: JSON.stringify(r.models),
    rpm: r.rpm,
    tpm: r.tpm,
    budget_usd: r.budgetUsd,
    expires_at: r.expiresAt,
  };
}

/** A key as the `api_keys` table's columns (both backends share the schema). */
export function keyRecordColumns(r: KeyRecord) {
  return {
    id: r.id,
    hash: r.hash,
    prefix: r.prefix,
    last4: r.last4,
    name: r.name,
    tenant: r.tenant,
    role: r.role,
    ...limitColumns(r),
    revoked_at: r.revokedAt,
    created_at: r.createdAt,
    last_used_at: r.lastUsedAt,
    chain: r.chain ?? null,
  };
}

/** Whether a key works at `now` (epoch ms): neither revoked nor expired. */
export const isActiveAt = (r: KeyRecord, now: number) =>
  r.revokedAt === null && (r.expiresAt === null || r.expiresAt > now);
