import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { newKeyId } from "../../src/auth/api-key.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// An admin key of one tenant, given the id of another tenant's key, is answered exactly as for an
// id that names no key at all, through the compiled gateway with two configured tenants: a 403
// there beside a 404 here would tell it which ids it learnt are keys, and that they are another
// tenant's (docs/SECURITY.md).

const fx = gatewayFixture({
  models: ["m1"],
  // team-b's every call shadowed, so that it has shadow records an id could name; m1 priced, so
  // that its calls spend (as tenants-gateway.ts prices it).
  config: {
    prices: { m1: { input_per_mtok: 100_000, output_per_mtok: 100_000 } },
    tenants: [{ name: "team-a" }, { name: "team-b", shadow: { provider: "fake", model: "m1", sample: 1 } }],
  },
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

describe("another tenant's ids in the read views' filters, to an admin of one tenant", () => {
  let bAdmin: { key: string; id: string };

  beforeAll(async () => {
    // team-b's own admin changes its key (an admin action), and its key calls (an audit row, a
    // shadow record, spend): each view holds something of team-b's that its ids would name.
    bAdmin = await createKey(fx.gw, { name: "b-admin", role: "admin", tenant: "team-b" });
    const changed = await fetch(fx.url(`/admin/api/keys/${bKey.id}/limits`), {
      method: "POST",
      headers: bearer(bAdmin.key),
      body: JSON.stringify({ tpm: 100_000 }),
    });
    expect(changed.status).toBe(200);
    const call = await fetch(fx.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(bKey.key),
      body: chatBody("m1"),
    });
    expect(call.status).toBe(200);
    await auditRow(fx.gw, call.headers.get("x-request-id") ?? "");
    await waitFor("team-b's shadow record", async () => {
      const page = await fetch(fx.url(`/admin/api/shadow?key_id=${bKey.id}`), {
        headers: bearer(fx.adminKey),
      });
      return ((await page.json()) as { records: unknown[] }).records.length > 0;
    });
  });

  /** What team-a's admin reads of `path` with `id` in it, the id put back as `ID`. */
  const read = async (path: string, id: string) => {
    const res = await fetch(fx.url(path.replace("ID", id)), { headers: bearer(aAdmin) });
    return { status: res.status, body: (await res.text()).replaceAll(id, "ID") };
  };

  for (const [path, whose] of [
    ["/admin/api/audit?key=ID", "key"],
    ["/admin/api/audit/export?key=ID", "key"],
    ["/admin/api/shadow?key_id=ID", "key"],
    ["/admin/api/spend?ids=ID", "key"],
    ["/admin/api/actions?actor=ID", "admin"],
  ] as const) {
    test(`${path}: team-b's ${whose} id answered as an id of no one`, async () => {
      const id = whose === "key" ? bKey.id : bAdmin.id;
      // Spend of 0 reads alike for any id: a route that stopped filtering by tenant would pass.
      // The gateway-wide admin reads it non-zero first (spend is stored within a second of the call).
      if (path.startsWith("/admin/api/spend"))
        await waitFor("team-b's key's spend stored", async () => {
          const everyone = await fetch(fx.url(path.replace("ID", id)), { headers: bearer(fx.adminKey) });
          const { spentUsd } = (await everyone.json()) as { spentUsd: Record<string, number> };
          return (spentUsd[id] ?? 0) > 0;
        });
      const missing = await read(path, newKeyId());
      expect(missing.status).toBe(200);
      expect(await read(path, id)).toEqual(missing);
    });
  }
});
