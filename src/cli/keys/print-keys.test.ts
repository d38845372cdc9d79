import { expect, test } from "bun:test";
import type { KeyView } from "../../auth/key-view.ts";
import { keyDetail } from "./print-keys.ts";

const view: KeyView = {
  id: "key_new",
  name: "svc",
  tenant: "default",
  role: "user",
  models: ["gpt-*", "llama-*"],
  rpm: null,
  tpm: null,
  budget_usd: null,
  key_preview: "mgw_AbCd…wxyz",
  status: "active",
  expires_at: null,
  revoked_at: null,
  created_at: "2026-11-30T00:00:00.000Z",
  last_used_at: null,
  chain: "key_new",
};

test("a rotation's detail prints the key's fields, never an object or the plain key as a field", () => {
  const text = keyDetail({ ...view, key: "mgw_plain", previous: { ...view, id: "key_old" } });
  expect(text).not.toContain("[object Object]");
  expect(text).not.toContain("mgw_plain");
  expect(text).toContain("models        gpt-*,llama-*");
});
