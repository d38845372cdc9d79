import { type KeyRecord, roleSchema } from "./key-record.ts";

/** An `api_keys` row as both SQL stores return it (PostgreSQL's BIGINTs may come as text). */
export interface KeyRow {
  id: string;
  hash: string;
  prefix: string;
  last4: string;
  name: string;
  tenant: string;
  role: string;
  /** JSON text: a list of model-name globs. */
  models: string;
  rpm: number | null;
  tpm: number | string | null;
  budget_usd: number | null;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  created_at: number | string;
  last_used_at: number | string | null;
  chain: string | null;
  seq: number | string;
}

const numberOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

/** A stored key back as a record: the inverse of `keyRecordColumns`. */
export function keyRecordOf(row: KeyRow): KeyRecord {
  const models: unknown = JSON.parse(row.models);
  return {
    id: row.id,
    hash: row.hash,
    prefix: row.prefix,
    last4: row.last4,
    name: row.name,
    tenant: row.tenant,
    role: roleSchema.parse(row.role),
    models: Array.isArray(models) ? models.filter((m): m is string => typeof m === "string") : [],
    rpm: row.rpm,
    tpm: numberOrNull(row.tpm),
    budgetUsd: row.budget_usd,
    expiresAt: numberOrNull(row.expires_at),
    revokedAt: numberOrNull(row.revoked_at),
    createdAt: Number(row.created_at),
    lastUsedAt: numberOrNull(row.last_used_at),
    ...(row.chain === null ? {} : { chain: row.chain }),
    version: Number(row.seq),
  };
}
