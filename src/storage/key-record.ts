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
}
