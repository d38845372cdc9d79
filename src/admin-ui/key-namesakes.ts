import type { KeyView } from "../auth/key-view.ts";
import type { KeyPage } from "../http/admin/key-page.ts";
import { getJson, postJson } from "./api.ts";

// A key's namesakes are the active keys of its name in its tenant: what "Revoke all N" counts, and
// what it ends. In its tenant, as a name is one credential only within a tenant: an admin outside
// every tenant sees every tenant's keys of the name, and a revoke of them all is refused (409).

/** A key, as its namesakes are found. */
type Named = Pick<KeyView, "name" | "tenant">;

/**
 * How many namesakes the signed-in admin manages, as the gateway counts them: the page holds only
 * the keys it has loaded, 50 a page, and a rotation's old key may lie pages below its new one.
 */
export async function activeNamesakes(key: Named): Promise<number> {
  const query = new URLSearchParams({ name: key.name, tenant: key.tenant });
  return namesakesIn((await getJson<KeyPage>(`/admin/api/keys?${query}`)).keys, key);
}

/**
 * The page's active keys of the name in the tenant, counted here, not trusted to the query: a node
 * of an older release behind the same balancer ignores `?name=` and answers a page of every key.
 */
export const namesakesIn = (
  page: readonly Pick<KeyView, "name" | "tenant" | "status">[],
  key: Named,
): number =>
  page.filter((k) => k.name === key.name && k.tenant === key.tenant && k.status === "active").length;

/** Revokes them by the name, as `mindgw keys revoke NAME` does (a rotation under way caught too). */
export async function revokeNamesakes(key: Named): Promise<void> {
  const query = new URLSearchParams({ tenant: key.tenant });
  await postJson(`/admin/api/keys/${encodeURIComponent(key.name)}/revoke?${query}`);
}
