import { expect, test } from "bun:test";
import type { KeyView } from "../../auth/key-view.ts";
import { keyDetail, printKeyPages } from "./print-keys.ts";

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

async function* pagesOf(...pages: KeyView[][]) {
  yield* pages;
}

const printed = async (json: boolean, ...pages: KeyView[][]) => {
  let text = "";
  await printKeyPages(pagesOf(...pages), json, (part) => (text += part));
  return text;
};

test("keys list prints page after page what it printed of the whole list: the same JSON, the same table (as wide as the first page needs)", async () => {
  const keys = [view, { ...view, id: "key_two", name: "other" }, { ...view, id: "key_thr" }];
  expect(await printed(true, keys.slice(0, 1), [], keys.slice(1))).toBe(
    `${JSON.stringify({ keys }, null, 2)}\n`,
  );
  expect(await printed(true)).toBe(`${JSON.stringify({ keys: [] }, null, 2)}\n`);
  const whole = await printed(false, keys);
  expect(await printed(false, keys.slice(0, 2), keys.slice(2))).toBe(whole);
  expect(whole.split("\n")[0]).toMatch(/^ID\s+NAME\s+ROLE\s+TENANT\s+MODELS\s+KEY\s+STATUS\s+CREATED$/);
  expect(whole).toContain("key_thr");
  expect(await printed(false)).toBe("ID  NAME  ROLE  TENANT  MODELS  KEY  STATUS  CREATED\n");
});

test('keys list --json prints nothing when its first page fails: no half document (`{ "keys": [`) left on stdout', async () => {
  async function* failing(): AsyncGenerator<KeyView[]> {
    yield* [];
    throw new Error("gateway refused: invalid or missing credentials");
  }
  for (const json of [true, false]) {
    let text = "";
    const printing = printKeyPages(failing(), json, (part) => (text += part));
    await expect(printing).rejects.toThrow("invalid or missing credentials");
    expect({ json, text }).toEqual({ json, text: "" });
  }
});
