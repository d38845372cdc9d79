import type { StoredAdminAction } from "./storage.ts";

/** An `admin_actions` row as both SQL stores return it (PostgreSQL's BIGINTs may come as text). */
export interface AdminActionRow {
  id: number | string;
  at: number | string;
  actor: string;
  actor_key_id: string | null;
  via: string;
  action: string;
  target: string | null;
  detail: string | null;
  client_ip: string | null;
  request_id: string | null;
}

export const toStoredAction = (row: AdminActionRow): StoredAdminAction => ({
  id: Number(row.id),
  at: Number(row.at),
  actor: row.actor,
  actorKeyId: row.actor_key_id,
  via: row.via,
  action: row.action,
  target: row.target,
  detail: row.detail,
  clientIp: row.client_ip,
  requestId: row.request_id,
});
