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
