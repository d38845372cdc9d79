import { expect } from "bun:test";
import type { KeyRecord } from "../storage/key-record.ts";

/**
 * A stored key for tests: a plain user key on every model with no limits, changed by `over`.
 * Tests that store several pass their own `id` and `hash` (both unique in the stores).
 */
export const keyRecord = (over: Partial<KeyRecord> = {}): KeyRecord => ({
  id: "key_1",
  hash: "1".padStart(64, "0"),
  prefix: "mgw_AbCd",
  last4: "wxyz",
  name: "k1",
  tenant: "default",
  role: "user",
  models: ["*"],
  rpm: null,
  tpm: null,
  budgetUsd: null,
  expiresAt: null,
  revokedAt: null,
  createdAt: 0,
  lastUsedAt: null,
  ...over,
});

let numbered = 0;
/**
 * A key of its own, for a store that holds several: id, hash and name numbered (`key_1`, `k1`,
 * …, unique in this process), created in that order, with limits on; changed by `over`.
 */
export function numberedKey(over: Partial<KeyRecord> = {}): KeyRecord {
  numbered += 1;
  return keyRecord({
    id: `key_${numbered}`,
    hash: `${numbered}`.padStart(64, "0"),
    name: `k${numbered}`,
    models: ["gpt-*"],
    rpm: 60,
    tpm: 100_000,
    budgetUsd: 1.5,
    createdAt: 1_700_000_000_000 + numbered,
    ...over,
  });
}

/** `record` as a store reads it back: with the store's version of it, whatever its number. */
export const readBack = (record: KeyRecord): KeyRecord => ({ ...record, version: expect.any(Number) });
