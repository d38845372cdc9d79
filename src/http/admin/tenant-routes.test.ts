import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../../storage/storage.ts";
import type { TenantReport } from "../../tenants/tenant-usage.ts";
import { countingKeyStore, storedAdminKey } from "../../testing/counting-key-store.ts";
import { numberedKey } from "../../testing/key-record.ts";
import { storedKey } from "../../testing/stored-key.ts";
import { signIn } from "../../testing/ui-session.ts";
import { openRawWorker } from "../../workers/testing/raw-worker.ts";

// `/admin/api/tenants`' key counts through the real gateway in-process, on an embedder's storage
// (a real SQLite file) whose key store says how often it was listed whole.

const dir = mkdtempSync(join(tmpdir(), "mindgw-tenant-routes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function reportKeys(
  withCountActive: boolean,
): Promise<{ keys: Record<string, number>; lists: number }> {
  const sqlite = openSqliteStorage(join(dir, `${withCountActive}.db`));
  const { keys, reads } = countingKeyStore(sqlite.keys, withCountActive ? [] : ["countActive"]);
  const storage: Storage = { ...sqlite, keys };
  const now = Date.now();
  const adminKey = await storedAdminKey(storage.keys);
  // team-a: two active keys, one revoked, one expired; team-b: one; team-c: none.
  const revoked = numberedKey({ tenant: "team-a" });
  for (const key of [
    numberedKey({ tenant: "team-a" }),
    numberedKey({ tenant: "team-a", expiresAt: now + 3_600_000 }),
    numberedKey({ tenant: "team-a", expiresAt: now - 1 }),
    revoked,
    numberedKey({ tenant: "team-b" }),
  ])
    await storage.keys.create(key);
  await storage.keys.revoke(revoked.id, now);
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      tenants: [{ name: "team-a" }, { name: "team-b" }, { name: "team-c" }],
    }),
    storage,
    logger: silentLogger,
  });
  try {
    const before = reads.lists;
    const res = await gateway.handle(
      new Request("http://localhost/admin/api/tenants", {
        headers: { authorization: `Bearer ${adminKey}` },
      }),
    );
    expect(res.status).toBe(200);
    const { tenants } = (await res.json()) as { tenants: TenantReport[] };
    return { keys: Object.fromEntries(tenants.map((t) => [t.name, t.keys])), lists: reads.lists - before };
  } finally {
    await gateway.stop();
    await storage.close();
  }
}

test("each tenant's active keys are counted in one read, revoked and expired ones left out, the key table never listed", async () => {
  expect(await reportKeys(true)).toEqual({ keys: { "team-a": 2, "team-b": 1, "team-c": 0 }, lists: 0 });
});

test("an embedder's key store without countActive: the same counts, its keys listed a tenant at a time", async () => {
  expect(await reportKeys(false)).toEqual({ keys: { "team-a": 2, "team-b": 1, "team-c": 0 }, lists: 3 });
});

/** A gateway of two tenants, with keys of an admin outside them, an admin in team-a and a member of it. */
async function readersGateway(file: string) {
  const storage = openSqliteStorage(join(dir, file));
  const stored = (tenant: string, role: "admin" | "user") =>
    storedKey(storage.keys, { tenant, role, models: ["gpt-*"] });
  const [platform, aAdmin, aMember] = [
    await stored("default", "admin"),
    await stored("team-a", "admin"),
    await stored("team-a", "user"),
  ];
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      tenants: [{ name: "team-a" }, { name: "team-b" }],
    }),
    storage,
    logger: silentLogger,
  });
  const get = (path: string, key: string) =>
    gateway.handle(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }));
  const stop = async () => {
    await gateway.stop();
    await storage.close();
  };
  return { get, platform, aAdmin, aMember, stop };
}

const names = async (res: Response) =>
  ((await res.json()) as { tenants: TenantReport[] }).tenants.map((tenant) => tenant.name);

test("a reader held to its tenant asking for another's tenants, audit rows, shadow records or keys is refused (403 naming its own), not answered with its own", async () => {
  const { get, platform, aAdmin, aMember, stop } = await readersGateway("scoped.db");
  try {
    const elsewhere = [
      "/admin/api/tenants?tenant=team-b",
      "/admin/api/audit?tenant=team-b",
      "/admin/api/audit/export?tenant=team-b",
      "/admin/api/shadow?tenant=team-b",
    ];
    for (const [reader, paths] of [
      [aMember, elsewhere],
      [aAdmin, [...elsewhere, "/admin/api/keys?tenant=team-b"]],
    ] as const)
      for (const path of paths) {
        const refused = await get(path, reader);
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
        // For good: the same request is refused again, and the SDKs are told so.
        expect(refused.headers.get("x-should-retry")).toBe("false");
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
          'this credential reads only its own tenant "team-a"; drop the tenant filter or ask for "team-a"',
        );
      }
    // Its own tenant, named or not, it reads; an admin outside every tenant reads the one it names.
    for (const reader of [aMember, aAdmin])
      for (const query of ["", "?tenant=team-a"])
        expect(await names(await get(`/admin/api/tenants${query}`, reader))).toEqual(["team-a"]);
    expect((await get("/admin/api/keys?tenant=team-a", aAdmin)).status).toBe(200);
    expect(await names(await get("/admin/api/tenants?tenant=team-b", platform))).toEqual(["team-b"]);
    expect(await names(await get("/admin/api/tenants", platform))).toEqual(["team-a", "team-b"]);
  } finally {
    await stop();
  }
});

test("an empty ?tenant= is no filter, on every route that takes one: each reader is answered as without it", async () => {
  const { get, platform, aAdmin, aMember, stop } = await readersGateway("empty-filter.db");
  try {
    const paths = ["/admin/api/tenants", "/admin/api/audit", "/admin/api/audit/export", "/admin/api/shadow"];
    for (const [reader, readable] of [
      [platform, [...paths, "/admin/api/keys"]],
      [aAdmin, [...paths, "/admin/api/keys"]],
      [aMember, paths],
    ] as const)
      for (const path of readable) {
        const [plain, empty] = [await get(path, reader), await get(`${path}?tenant=`, reader)];
        expect({ path, status: empty.status }).toEqual({ path, status: plain.status });
        expect(plain.status).toBe(200);
        if (path === "/admin/api/tenants") expect(await names(empty)).toEqual(await names(plain));
        // Read to the end, as a client does: an export's stream left unread held the gateway's
        // stop below for its drain's deadline (30 s), this test's whole time.
        else await Promise.all([plain.text(), empty.text()]);
      }
    expect(await names(await get("/admin/api/tenants?tenant=", platform))).toEqual(["team-a", "team-b"]);
    // A key named: ?tenant= is the name's keys in every tenant, as without it.
    const shown = await get("/admin/api/keys/k1?tenant=", platform);
    expect(shown.status).toBe((await get("/admin/api/keys/k1", platform)).status);
  } finally {
    await stop();
  }
});

/**
 * A gateway of three tenants with tenant-scoped models and providers: team-a may use `m` only;
 * team-b has its own model on its own upstream; keys of an admin in team-a, one in team-c, and a
 * worker key of team-b; listening, so a worker can connect.
 */
async function routingGateway(file: string) {
  const storage = openSqliteStorage(join(dir, file));
  const stored = (tenant: string, role: "admin" | "worker") => storedKey(storage.keys, { tenant, role });
  const [aAdmin, cAdmin, bWorker] = [
    await stored("team-a", "admin"),
    await stored("team-c", "admin"),
    await stored("team-b", "worker"),
  ];
  const gateway = await createGateway({
    config: parseConfig({
      providers: [
        { name: "demo", type: "mock" },
        {
          name: "b-upstream",
          type: "openai",
          base_url: "http://127.0.0.1:9/b-internal/v1",
          tenant: "team-b",
        },
      ],
      models: [
        { name: "m", routes: [{ provider: "demo", model: "m" }] },
        { name: "elsewhere", routes: [{ provider: "demo", model: "m" }] },
        { name: "b-private", tenant: "team-b", routes: [{ provider: "b-upstream", model: "b-v3" }] },
      ],
      tenants: [{ name: "team-a", models: ["m"] }, { name: "team-b" }, { name: "team-c" }],
    }),
    storage,
    logger: silentLogger,
  });
  const at = (path: string, headers: Record<string, string>) =>
    gateway.handle(new Request(`http://localhost${path}`, { headers }));
  /** The headers of a web UI session signed in with `key`: its cookie and CSRF token. */
  const session = (key: string) => signIn(gateway, key);
  const stop = async () => {
    await gateway.stop();
    await storage.close();
  };
  return { gateway, at, session, aAdmin, cAdmin, bWorker, stop };
}

interface RoutingBody {
  models: { name: string }[];
  providers: { name: string; base_url?: string }[];
  prices: Record<string, unknown>;
  workerModels: string[];
}

test("a tenant admin's web session reads /admin/api/routing as its key does: its tenant's models only, no other tenant's model or upstream", async () => {
  const { at, session, aAdmin, stop } = await routingGateway("session-routing.db");
  try {
    const bearer = { authorization: `Bearer ${aAdmin}` };
    const signedIn = await session(aAdmin);
    const routing = async (headers: Record<string, string>) => {
      const res = await at("/admin/api/routing", headers);
      expect(res.status).toBe(200);
      return (await res.json()) as RoutingBody;
    };
    const [withKey, withSession] = [await routing(bearer), await routing(signedIn)];
    expect(withKey.models.map((model) => model.name)).toEqual(["m"]);
    expect(withKey.providers.map((provider) => provider.name)).toEqual(["demo"]);
    expect(withSession).toEqual(withKey);
    expect(JSON.stringify(withSession)).not.toContain("b-internal");
  } finally {
    await stop();
  }
});

test("another tenant's worker-only models are not in a tenant admin's /admin/api/routing, as /v1/models leaves them out", async () => {
  const { gateway, at, cAdmin, bWorker, stop } = await routingGateway("worker-routing.db");
  const { port } = gateway.listen("127.0.0.1", 0);
  const worker = await openRawWorker(port, bWorker);
  try {
    expect((await worker.register(["b-local"], "b-gpu")).type).toBe("registered");
    const bearer = { authorization: `Bearer ${cAdmin}` };
    const routing = (await (await at("/admin/api/routing", bearer)).json()) as RoutingBody;
    const listed = ((await (await at("/v1/models", bearer)).json()) as { data: { id: string }[] }).data;
    expect(listed.map((model) => model.id)).not.toContain("b-local");
    expect(routing.workerModels).toEqual([]);
  } finally {
    worker.socket.close();
    await stop();
  }
});
