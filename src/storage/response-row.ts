import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { StoredResponse } from "./storage.ts";

/**
 * A `stored_responses` row as both SQL stores return it (PostgreSQL's BIGINT may come as text).
 * Both JSON columns are text, so a response reads back exactly as it was saved.
 */
export interface ResponseRow {
  tenant: string;
  id: string;
  response: string;
  items: string;
  created_at: number | string;
  holder: string | null;
  previous_id: string | null;
}

/** A stored response back as it was saved; JSON that is not what it should be reads as empty. */
export function storedResponseOf(row: ResponseRow): StoredResponse {
  const response: unknown = JSON.parse(row.response);
  const items: unknown = JSON.parse(row.items);
  return {
    tenant: row.tenant,
    id: row.id,
    response: isJsonObject(response) ? response : {},
    items: Array.isArray(items) ? items.filter(isJsonObject) : ([] as JsonObject[]),
    createdAt: Number(row.created_at),
    ...(row.holder ? { holder: row.holder } : {}),
    ...(row.previous_id ? { previousId: row.previous_id } : {}),
  };
}
