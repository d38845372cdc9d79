import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { newKeyId } from "../../src/auth/api-key.ts";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

setDefaultTimeout(30_000);

// An admin key of one tenant, given the id of another tenant's key, is answered exactly as for an
// id that names no key at all, through the compiled gateway with two configured tenants: a 403
// there beside a 404 here would tell it which ids it learnt are keys, and that they are another
// tenant's (docs/SECURITY.md).

const fx = gatewayFixture({
  models: ["m1"],
  config: { tenants: [{ name: "team-a" }, { name: "team-b" }] },
});

let aAdmin = "";
let bKey: { key: string; id: string };

beforeAll(async () => {
  aAdmin = (await createKey(fx.gw, { name: "a-admin", role: "admin", tenant: "team-a" })).key;
  bKey = await createKey(fx.gw, { name: "b-user", tenant: "team-b" });
});

/** What the admin API answered, with the id asked for put back as `ID`, so that two ids compare. */
async function answer(method: string, id: string, path: string, body?: object) {
  const res = await fetch(fx.url(`/admin/api/keys/${id}${path}`), {
    method,
    headers: bearer(aAdmin),
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.text()).replaceAll(id, "ID") };
}

const ACTIONS = [
  ["GET", "", undefined],
  ["POST", "/revoke", undefined],
  ["POST", "/rotate", undefined],
  ["POST", "/limits", { rpm: 5 }],
] as const;

describe("another tenant's key, by id, to an admin of one tenant", () => {
  for (const [method, path, body] of ACTIONS) {
    test(`${method} /admin/api/keys/{id}${path}: answered as an id of no key (404), the key untouched`, async () => {
      const missing = await answer(method, newKeyId(), path, body);
      expect(missing.status).toBe(404);
      expect(await answer(method, bKey.id, path, body)).toEqual(missing);
    });
  }

  test("the key still works as it did, its limits unchanged", async () => {
    const res = await fetch(fx.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(bKey.key),
      body: chatBody("m1"),
    });
    expect(res.status).toBe(200);
    const shown = await fetch(fx.url(`/admin/api/keys/${bKey.id}`), { headers: bearer(fx.adminKey) });
    expect(((await shown.json()) as { rpm: number | null; status: string }).rpm).toBeNull();
  });
});
