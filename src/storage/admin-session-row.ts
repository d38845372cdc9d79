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
}

export const toStoredSession = (row: AdminSessionRow): StoredAdminSession => ({
  idHash: row.id_hash,
  csrf: row.csrf,
  principal: row.principal,
  method: row.method === "oidc" ? "oidc" : "key",
  keyId: row.key_id,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});
