import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KeyView } from "../../auth/key-view.ts";
import { type KeyRoutes, keyRoutesGateway } from "../../testing/key-routes-gateway.ts";

// A key name in several tenants on `/admin/api/keys…`: what `?name=` lists and `?tenant=` picks, for an
// admin outside every tenant and one in a tenant (through the real gateway in-process).

let routes: KeyRoutes;
const call: KeyRoutes["call"] = (...args) => routes.call(...args);
const listed: KeyRoutes["listed"] = (...args) => routes.listed(...args);
const create: KeyRoutes["create"] = (...args) => routes.create(...args);

beforeAll(async () => {
  routes = await keyRoutesGateway();
});
afterAll(() => routes.stop());

test("?name= lists the active keys of that name the admin manages, however many pages apart: what a revoke by the name ends", async () => {
  const old = await create({ name: "twin", tenant: "acme" });
  // Pages of other keys between the rotation's old key and its new one.
  await Promise.all(Array.from({ length: 60 }, (_, i) => create({ name: `between-${i}`, tenant: "acme" })));
  const fresh = (await (
    await call("POST", `/admin/api/keys/${old.id}/rotate`, { grace: "1h" })
  ).json()) as KeyView;
  const elsewhere = await create({ name: "twin", tenant: "globex" });
  const gone = await create({ name: "twin", tenant: "acme" });
  expect((await call("POST", `/admin/api/keys/${gone.id}/revoke`)).status).toBe(200);
  const acmeAdmin = await create({ name: "acme-ops", tenant: "acme", role: "admin" });
  const ids = async (query: string, as?: string) =>
    (await listed(`/admin/api/keys?${query}`, as)).keys.map((k) => k.id);

  expect(await ids("limit=50", acmeAdmin.key)).not.toContain(old.id); // a page of all keys lacks it
  // Newest first (keys of one millisecond by id); one page of them as of the rest.
  const twins = await ids("name=twin");
  expect(twins.toSorted()).toEqual([elsewhere.id, fresh.id, old.id].toSorted());
  expect(twins.at(-1)).toBe(old.id);
  expect((await ids("name=twin&include_revoked=true")).toSorted()).toEqual([...twins, gone.id].toSorted());
  expect(await ids("name=twin&limit=1")).toEqual(twins.slice(0, 1));
  // An admin in a tenant counts its own tenant's keys, as its revoke by name finds them.
  const counted = await ids("name=twin", acmeAdmin.key);
  expect(counted).toEqual([fresh.id, old.id]);
  const revoke = await call("POST", "/admin/api/keys/twin/revoke", undefined, acmeAdmin.key);
  const revoked = ((await revoke.json()) as { revoked: KeyView[] }).revoked.map((k) => k.id);
  expect(revoked).toEqual(counted);
  expect(await ids("name=twin")).toEqual([elsewhere.id]);
});

test("an admin outside every tenant counts a name's keys in one tenant (?name=&tenant=) and revokes those (?tenant=), the other tenant's key of the name left working; without a tenant, 409", async () => {
  const old = await create({ name: "spread", tenant: "acme" });
  const fresh = (await (
    await call("POST", `/admin/api/keys/${old.id}/rotate`, { grace: "1h" })
  ).json()) as KeyView;
  const elsewhere = await create({ name: "spread", tenant: "globex" });
  const ids = async (query: string) => (await listed(`/admin/api/keys?${query}`)).keys.map((k) => k.id);

  expect((await ids("name=spread")).toSorted()).toEqual([old.id, fresh.id, elsewhere.id].toSorted());
  expect(await call("POST", "/admin/api/keys/spread/revoke").then((r) => r.status)).toBe(409);
  const counted = (await ids("name=spread&tenant=acme")).toSorted();
  expect(counted).toEqual([fresh.id, old.id].toSorted());
  const revoke = await call("POST", "/admin/api/keys/spread/revoke?tenant=acme");
  expect(revoke.status).toBe(200);
  expect(((await revoke.json()) as { revoked: KeyView[] }).revoked.map((k) => k.id).toSorted()).toEqual(
    counted,
  );
  expect(await ids("name=spread")).toEqual([elsewhere.id]);
  // Nothing of the name left in that tenant: as a revoke by a name no key has.
  expect(await call("POST", "/admin/api/keys/spread/revoke?tenant=acme").then((r) => r.status)).toBe(404);
});

test("an empty ?tenant= reads as none on a show and is refused (400, naming tenant) on revoke, rotate and limits by name, where it acted on whichever tenant holds the name", async () => {
  const key = (await (
    await call("POST", "/admin/api/keys", { name: "unset-t", tenant: "acme" })
  ).json()) as KeyView;
  const shown = await call("GET", "/admin/api/keys/unset-t?tenant=");
  expect([shown.status, ((await shown.json()) as KeyView).id]).toEqual([200, key.id]);
  for (const [path, body] of [
    ["/admin/api/keys/unset-t/revoke?tenant=", undefined],
    ["/admin/api/keys/unset-t/rotate?tenant=", {}],
    ["/admin/api/keys/unset-t/limits?tenant=", { rpm: 1 }],
  ] as const) {
    const refused = await call("POST", path, body);
    const error = ((await refused.json()) as { error: { message: string; param: string } }).error;
    expect([path, refused.status, error.param]).toEqual([path, 400, "tenant"]);
    expect(error.message).toStartWith(
      "tenant is empty: name the tenant whose key is meant, or leave tenant out",
    );
  }
  expect((await listed("/admin/api/keys?name=unset-t")).keys.map((k) => [k.id, k.rpm])).toEqual([
    [key.id, null],
  ]);
});

test("a revoke by id with ?tenant= of another tenant than the key's is refused (404), the key left working", async () => {
  const key = (await (
    await call("POST", "/admin/api/keys", { name: "by-id", tenant: "globex" })
  ).json()) as KeyView;
  const refused = await call("POST", `/admin/api/keys/${key.id}/revoke?tenant=acme`);
  expect(refused.status).toBe(404);
  expect(await refused.text()).toContain("nothing was revoked");
  const still = (await listed("/admin/api/keys?name=by-id")).keys.map((k) => k.id);
  expect(still).toEqual([key.id]);
  expect((await call("POST", `/admin/api/keys/${key.id}/revoke?tenant=globex`)).status).toBe(200);
  expect((await listed("/admin/api/keys?name=by-id")).keys).toEqual([]);
});

test("an admin in a tenant naming another tenant (?tenant=) is refused 403 on show, rotate, limits and revoke, as on the list, and nothing is done", async () => {
  const theirs = await create({ name: "scoped", tenant: "globex" });
  const acmeAdmin = await create({ name: "acme-scoped-ops", tenant: "acme", role: "admin" });
  // Reads are told what it reads, changes what it manages.
  const reads = 'reads only its own tenant "acme"';
  const changes = 'manages only the keys of its own tenant "acme"';
  const calls: [string, string, string, object?][] = [
    ["GET", "/admin/api/keys/scoped?tenant=globex", reads],
    ["POST", "/admin/api/keys/scoped/rotate?tenant=globex", changes, {}],
    ["POST", "/admin/api/keys/scoped/limits?tenant=globex", changes, { rpm: 1 }],
    ["POST", "/admin/api/keys/scoped/revoke?tenant=globex", changes],
    ["GET", "/admin/api/keys?tenant=globex", reads],
  ];
  for (const [method, path, told, body] of calls) {
    const refused = await call(method, path, body, acmeAdmin.key);
    const { error } = (await refused.json()) as { error: { message: string } };
    expect({ path, status: refused.status, told: error.message.includes(told) }).toEqual({
      path,
      status: 403,
      told: true,
    });
  }
  const still = (await listed("/admin/api/keys?name=scoped")).keys;
  expect(still.map((k) => [k.id, k.rpm])).toEqual([[theirs.id, null]]);
});
