import { generateApiKey } from "../auth/api-key.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { numberedKey } from "./key-record.ts";

/**
 * A new API key stored in `store` as the admin API would issue it (numbered, testing/key-record.ts):
 * a user key of the default tenant on every model with no limits, changed by `over`. Returns the
 * plain key, for a test's caller to send.
 */
export async function storedKey(store: KeyStore, over: Partial<KeyRecord> = {}): Promise<string> {
  const { plain, ...secret } = generateApiKey();
  await store.create(
    numberedKey({ ...secret, models: ["*"], rpm: null, tpm: null, budgetUsd: null, ...over }),
  );
  return plain;
}
