import type { IssuedKey } from "../../auth/key-admin.ts";
import type { KeyView } from "../../auth/key-view.ts";

/** What `mindgw keys` needs, whether it works on the local store or a running gateway. */
export interface KeysBackend {
  create(input: Record<string, unknown>): Promise<IssuedKey>;
  list(includeRevoked: boolean, tenant?: string): Promise<KeyView[]>;
  show(idOrName: string): Promise<KeyView>;
  revoke(idOrName: string): Promise<KeyView>;
  rotate(idOrName: string, input: Record<string, unknown>): Promise<IssuedKey & { previous: KeyView }>;
  setLimits(idOrName: string, input: Record<string, unknown>): Promise<KeyView>;
  close(): Promise<void>;
}
