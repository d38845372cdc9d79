import type { IssuedKey, RevokedKeys } from "../../auth/key-admin.ts";
import type { KeyView } from "../../auth/key-view.ts";

/** What `mindgw keys` needs, whether it works on the local store or a running gateway. */
export interface KeysBackend {
  create(input: Record<string, unknown>): Promise<IssuedKey>;
  /** Keys newest first, a page at a time (never the whole list in one answer). */
  listPages(includeRevoked: boolean, tenant?: string): AsyncIterable<KeyView[]>;
  /** By name in `tenant` alone when given (`--tenant`), as `rotate` and `setLimits`. */
  show(idOrName: string, tenant?: string): Promise<KeyView>;
  /** By name: every active key of it (key-admin.ts), in `tenant` alone when given, each in `revoked`. */
  revoke(idOrName: string, tenant?: string): Promise<RevokedKeys>;
  rotate(
    idOrName: string,
    input: Record<string, unknown>,
    tenant?: string,
  ): Promise<IssuedKey & { previous: KeyView }>;
  setLimits(idOrName: string, input: Record<string, unknown>, tenant?: string): Promise<KeyView>;
  /** The tenants configured (`tenants:`), or undefined where the gateway would not say. */
  tenantNames(): Promise<readonly string[] | undefined>;
  close(): Promise<void>;
}

/** How many keys `keys list` reads at once (the most `/admin/api/keys` answers a page). */
export const LIST_PAGE = 1000;
