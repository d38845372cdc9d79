import type { StoredAdminSession } from "./storage.ts";

/** An `admin_sessions` row as both SQL stores return it (PostgreSQL's BIGINTs may come as text). */
export interface AdminSessionRow {
  id_hash: string;
  csrf: string;
  principal: string;
  method: string;
  key_id: string | null;
  created_at: number | string;
  expires_at: number | string;
  /** Null in a row stored before it was kept: its sign-in is its last use then. */
  used_at: number | string | null;
}

export const toStoredSession = (row: AdminSessionRow): StoredAdminSession => ({
  idHash: row.id_hash,
  csrf: row.csrf,
  principal: row.principal,
  method: row.method === "oidc" ? "oidc" : "key",
  keyId: row.key_id,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  usedAt: Number(row.used_at ?? row.created_at),
});
