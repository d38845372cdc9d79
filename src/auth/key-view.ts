import { z } from "zod";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";
import { withinDates } from "../core/last-date.ts";
import { type KeyRecord, roleSchema } from "../storage/key-record.ts";
import type { KeyPosition } from "../storage/storage.ts";
import { displayKey } from "./api-key.ts";

/**
 * A key as `keys list|show --json` and `/admin/api/keys` present it. Never the hash or the
 * plain key; `key_preview` is `mgw_AbCd…wxyz`. The schema is the OpenAPI document's, which alone
 * reads it: built at its first read, not at every start (every serve loads this file for
 * `keyStatus`).
 */
export const keyViewSchema = builtOnFirstUse("a key's view (the OpenAPI document's)", () => {
  const isoTime = z.string().meta({ description: "ISO 8601" });
  return z.object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    role: roleSchema,
    models: z.array(z.string()),
    rpm: z.number().nullable(),
    tpm: z.number().nullable(),
    budget_usd: z.number().nullable(),
    key_preview: z.string(),
    status: z.enum(["active", "revoked", "expired"]),
    expires_at: isoTime.nullable(),
    revoked_at: isoTime.nullable(),
    created_at: isoTime,
    last_used_at: isoTime.nullable(),
    /**
     * The id of the first key of its rotation chain (its own id when no rotation issued it): keys
     * with the same `chain` share one spend, counted under this id (each reports it:
     * `/admin/api/spend`), and one budget, so a sum over keys counts a chain once.
     */
    chain: z.string(),
  });
});
export type KeyView = z.infer<ReturnType<typeof keyViewSchema>>;

/**
 * A stored time as ISO 8601; one past every date as the last date: shown, not a listing that fails
 * whole. The SQL stores read their rows as stored: the key migration (SQLite keys@4, PostgreSQL
 * keys@5) made the upgrade's rows within dates once, but an older node mid-roll (or after a
 * rollback) may store one past them again, and an embedder's store may hold one.
 */
const iso = (ms: number | null) => (ms === null ? null : new Date(withinDates(ms)).toISOString());

export function keyView(record: KeyRecord, now: number): KeyView {
  return {
    id: record.id,
    name: record.name,
    tenant: record.tenant,
    role: record.role,
    models: [...record.models],
    rpm: record.rpm,
    tpm: record.tpm,
    budget_usd: record.budgetUsd,
    key_preview: displayKey(record.prefix, record.last4),
    status: keyStatus(record, now),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
    created_at: new Date(record.createdAt).toISOString(),
    last_used_at: iso(record.lastUsedAt),
    chain: record.chain ?? record.id,
  };
}

export function keyStatus(record: KeyRecord, now: number): KeyView["status"] {
  if (record.revokedAt !== null) return "revoked";
  if (record.expiresAt !== null && now >= record.expiresAt) return "expired";
  return "active";
}

/** A listed key's place in the listing (`KeyStore.page`'s order): where the next page starts. */
export const positionOf = (key: KeyView): KeyPosition => ({
  createdAt: Date.parse(key.created_at),
  id: key.id,
});
