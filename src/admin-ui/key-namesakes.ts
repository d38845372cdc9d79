import type { KeyPage } from "../http/admin/key-page.ts";
import { getJson } from "./api.ts";

/**
 * How many active keys of this name the signed-in admin manages, as the gateway counts them: what
 * a revoke by the name ends (`POST /admin/api/keys/NAME/revoke`). The page holds only the keys it
 * has loaded, 50 a page, and a rotation's old key may lie pages below its new one.
 */
export async function activeKeysNamed(name: string): Promise<number> {
  return (await getJson<KeyPage>(`/admin/api/keys?${new URLSearchParams({ name })}`)).keys.length;
}
