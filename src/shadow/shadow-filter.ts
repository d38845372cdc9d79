import type { ShadowFilter } from "../storage/storage.ts";
import type { ShadowQuery } from "./shadow-api-schema.ts";

/**
 * The shadow store's filter for a query of `GET /admin/api/shadow`, which `mindgw shadow report`
 * reads a database with too: one reading, so that a gateway and a database select alike. `tenant`
 * stands in for the query's own: the one its reader may see (read-scope.ts `scopedTenant`), or the
 * query's when nothing narrows the reader.
 */
export function shadowFilter(query: ShadowQuery, tenant: string | undefined): ShadowFilter {
  return {
    ...(query.model !== undefined ? { model: query.model } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(query.key_id !== undefined ? { keyId: query.key_id } : {}),
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
  };
}
