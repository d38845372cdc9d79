import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyView } from "../../auth/key-view.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { spendTotals } from "../../storage/spend-totals.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { KeyStore, SpendStore } from "../../storage/storage.ts";
import { callAs } from "../../testing/recording-gateway.ts";

// `/admin/api/keys` paged and whole, through the real gateway in-process (a real SQLite file).

const dir = mkdtempSync(join(tmpdir(), "mindgw-key-routes-"));
let gateway: Gateway;
let adminKey = "";

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "keys.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    logger: silentLogger,
    onBootstrapKey: (key) => (adminKey = key),
  });
  // Created in parallel: many share a millisecond, which the paging must still order.
  await Promise.all(
    Array.from({ length: 120 }, (_, i) => call("POST", "/admin/api/keys", { name: `bulk-${i}` })),
  );
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: object, as = adminKey): Promise<Response> {
  return gateway.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

const listed = async (path: string, as = adminKey) =>
  (await (await call("GET", path, undefined, as)).json()) as { keys: KeyView[]; nextCursor: string | null };

test("with a limit, keys come a page at a time, newest first, and the pages add up to the whole list", async () => {
  const whole = await listed("/admin/api/keys");
  expect(whole.keys).toHaveLength(121); // the bootstrap admin and the 120
  expect(whole.nextCursor).toBeNull();

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listed(`/admin/api/keys?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.keys.length).toBeLessThanOrEqual(50);
    seen.push(...page.keys.map((k) => k.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  expect(pages).toBe(3);
  expect(new Set(seen).size).toBe(121);
  expect(new Set(seen)).toEqual(new Set(whole.keys.map((k) => k.id)));
  const created = seen.map((id) => whole.keys.find((k) => k.id === id)?.created_at ?? "");
  expect(created).toEqual([...created].sort().reverse());
});

test("a key revoked between two pages neither repeats nor hides another", async () => {
  const first = await listed("/admin/api/keys?limit=10");
  const last = first.keys.at(-1);
  if (!last || !first.nextCursor) throw new Error("expected a second page");
  expect((await call("POST", `/admin/api/keys/${last.id}/revoke`)).status).toBe(200);
  const second = await listed(`/admin/api/keys?limit=10&cursor=${first.nextCursor}`);
  const whole = await listed("/admin/api/keys");
  const at = whole.keys.findIndex((k) => k.id === second.keys[0]?.id);
  expect(whole.keys.slice(at - 9, at).map((k) => k.id)).toEqual(first.keys.slice(0, 9).map((k) => k.id));
});

test("a malformed cursor or limit is a 400 naming it", async () => {
  const bad = await call("GET", "/admin/api/keys?limit=10&cursor=nonsense");
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("cursor");
  expect((await call("GET", "/admin/api/keys?limit=0")).status).toBe(400);
});

test("the keys a rotation leaves name one chain (their first key's id), which another key of the same name is not in", async () => {
  const created = (await (
    await call("POST", "/admin/api/keys", { name: "dup", budget_usd: 1 })
  ).json()) as KeyView;
  const rotate = async (id: string) =>
    (await (await call("POST", `/admin/api/keys/${id}/rotate`, { grace: "1h" })).json()) as KeyView;
  const second = await rotate(created.id);
  const third = await rotate(second.id);
  const stranger = (await (await call("POST", "/admin/api/keys", { name: "dup" })).json()) as KeyView;
  const chains = Object.fromEntries(
    (await listed("/admin/api/keys")).keys.filter((k) => k.name === "dup").map((k) => [k.id, k.chain]),
  );
  expect(chains).toEqual({
    [created.id]: created.id,
    [second.id]: created.id,
    [third.id]: created.id,
    [stranger.id]: stranger.id,
  });
  expect([created.chain, second.chain, stranger.chain]).toEqual([created.id, created.id, stranger.id]);
});

test("?name= lists the active keys of that name the admin manages, however many pages apart: what a revoke by the name ends", async () => {
  const create = async (input: object) =>
    (await (await call("POST", "/admin/api/keys", input)).json()) as KeyView & { key: string };
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
  const create = async (input: object) =>
    (await (await call("POST", "/admin/api/keys", input)).json()) as KeyView & { key: string };
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

test("revoke by name in a rotation's grace window: both keys revoked, each in the answer and on record", async () => {
  const old = (await (await call("POST", "/admin/api/keys", { name: "pair" })).json()) as KeyView;
  const fresh = (await (
    await call("POST", `/admin/api/keys/${old.id}/rotate`, { grace: "1h" })
  ).json()) as KeyView;
  const answer = await call("POST", "/admin/api/keys/pair/revoke");
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as KeyView & { revoked: KeyView[] };
  // The newest key, as the answer always was, and every key revoked beside it.
  expect([body.id, body.status]).toEqual([fresh.id, "revoked"]);
  expect(body.revoked.map((k) => [k.id, k.status])).toEqual([
    [fresh.id, "revoked"],
    [old.id, "revoked"],
  ]);
  const { actions } = (await (await call("GET", "/admin/api/actions?limit=50")).json()) as {
    actions: { action: string; target: string }[];
  };
  const recorded = actions.filter((a) => a.action === "key.revoke" && [old.id, fresh.id].includes(a.target));
  expect(recorded.map((a) => a.target).toSorted()).toEqual([old.id, fresh.id].toSorted());
});

test("a revoke by name whose store fails midway (503) has the key it did revoke on record", async () => {
  const storage = openSqliteStorage(join(dir, "failing.db"));
  let revokes = 0;
  const keys: KeyStore = {
    ...storage.keys,
    async revoke(id, at) {
      if (++revokes === 2) throw new Error("disk I/O error");
      return storage.keys.revoke(id, at);
    },
  };
  let key = "";
  const failing = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    storage: { ...storage, keys },
    logger: silentLogger,
    onBootstrapKey: (issued) => (key = issued),
  });
  try {
    const post = (path: string, body?: object) => callAs(failing, key, "POST", path, body);
    const old = (await (await post("/admin/api/keys", { name: "half" })).json()) as KeyView;
    const fresh = (await (await post(`/admin/api/keys/${old.id}/rotate`, { grace: "1h" })).json()) as KeyView;
    expect((await post("/admin/api/keys/half/revoke")).status).toBe(503);
    // The newest first: the new key revoked, the old one's revoke failed.
    const stored = await Promise.all([fresh.id, old.id].map((id) => storage.keys.getById(id)));
    expect(stored.map((k) => k?.revokedAt !== null)).toEqual([true, false]);
    const actions = (await storage.adminActions?.list({ limit: 50 })) ?? [];
    expect(actions.filter((a) => a.action === "key.revoke").map((a) => a.target)).toEqual([fresh.id]);
  } finally {
    await failing.stop();
  }
});

test("an admin in a tenant naming another tenant (?tenant=) is refused 403 on show, rotate, limits and revoke, as on the list, and nothing is done", async () => {
  const create = async (input: object) =>
    (await (await call("POST", "/admin/api/keys", input)).json()) as KeyView & { key: string };
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

test("/admin/api/spend reads each key once and every total in one read: a chain's keys report its one total, another tenant's key is left out for a tenant's admin", async () => {
  const storage = openSqliteStorage(join(dir, "spend-reads.db"));
  const reads = { keys: 0, totals: 0, total: 0 };
  const keys: KeyStore = {
    ...storage.keys,
    getById(id) {
      reads.keys++;
      return storage.keys.getById(id);
    },
  };
  const spend: SpendStore = {
    ...storage.spend,
    total(id) {
      reads.total++;
      return storage.spend.total(id);
    },
    totals(ids) {
      reads.totals++;
      return spendTotals(storage.spend, ids);
    },
  };
  let key = "";
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    storage: { ...storage, keys, spend },
    logger: silentLogger,
    onBootstrapKey: (issued) => (key = issued),
  });
  try {
    const send = async (method: string, path: string, body?: object, as = key) =>
      gateway.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: { authorization: `Bearer ${as}`, "content-type": "application/json" },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }),
      );
    const create = async (input: object) =>
      (await (await send("POST", "/admin/api/keys", input)).json()) as KeyView & { key: string };
    const first = await create({ name: "spender", tenant: "acme" });
    const second = (await (await send("POST", `/admin/api/keys/${first.id}/rotate`, {})).json()) as KeyView;
    const elsewhere = await create({ name: "other", tenant: "globex" });
    const acmeAdmin = await create({ name: "acme-spend-ops", tenant: "acme", role: "admin" });
    await storage.spend.add(
      new Map([
        [first.id, 1.5],
        [elsewhere.id, 2],
        ["jwt:acme:sub", 0.25],
        // A JWT name claim is free text: a comma is part of the id.
        ["jwt:acme:Doe, John", 0.5],
      ]),
    );
    const spent = async (ids: string[], as?: string) => {
      Object.assign(reads, { keys: 0, totals: 0, total: 0 });
      const query = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
      const answer = await send("GET", `/admin/api/spend?${query}`, undefined, as);
      return ((await answer.json()) as { spentUsd: Record<string, number> }).spentUsd;
    };
    const ids = [first.id, second.id, elsewhere.id, "jwt:acme:sub", "jwt:acme:Doe, John", first.id];
    expect(await spent(ids)).toEqual({
      [first.id]: 1.5,
      [second.id]: 1.5,
      [elsewhere.id]: 2,
      "jwt:acme:sub": 0.25,
      "jwt:acme:Doe, John": 0.5,
    });
    expect(reads).toEqual({ keys: 5, totals: 1, total: 0 });
    expect(await spent(ids, acmeAdmin.key)).toEqual({ [first.id]: 1.5, [second.id]: 1.5 });
    expect(reads).toEqual({ keys: 5, totals: 1, total: 0 });
    // Past 1,000 ids, repeated or in the comma form alike, is refused, not cut short unsaid.
    const many = Array.from({ length: 1001 }, (_, i) => `key_${i}`);
    for (const query of [many.map((id) => `ids=${id}`).join("&"), `ids=${many.join(",")}`]) {
      const refused = await send("GET", `/admin/api/spend?${query}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("ids");
    }
  } finally {
    await gateway.stop();
  }
});
