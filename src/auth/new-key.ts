import type { KeyRecord } from "../storage/key-record.ts";
import { generateApiKey, newKeyId } from "./api-key.ts";
import type { KeySettings } from "./key-rotation.ts";

/** A new key's record and its plain secret (in this value and nowhere else, ever). */
export function newKey(settings: KeySettings, at: number): { record: KeyRecord; key: string } {
  const key = generateApiKey();
  const record: KeyRecord = {
    ...settings,
    id: newKeyId(),
    hash: key.hash,
    prefix: key.prefix,
    last4: key.last4,
    createdAt: at,
  };
  return { record, key: key.plain };
}
