import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Principal } from "../../auth/principal.ts";
import type { Config } from "../../config/config-schema.ts";
import type { ConfigSource } from "../../config/config-source.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { ConfigWatchHandlers } from "../../config/watch-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import type { KeyStore, Storage } from "../../storage/storage.ts";
import { numberedKey } from "../../testing/key-record.ts";
import { signIn } from "../../testing/ui-session.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// Web UI sessions under an embedder's own authenticator (`createGateway`'s `auth`), through the
// real gateway in process on a real SQLite file: a session reads and may do what its principal's
// header does, under the config version in force.

const dir = mkdtempSync(join(tmpdir(), "mindgw-embedder-sessions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configOf = (tenants: string[]): Config =>
  parseConfig({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    tenants: tenants.map((name) => ({ name })),
  });

/** A gateway whose embedder vouches for each bearer token it lists, and a way to reload its config. */
async function embedderGateway(
  file: string,
  tokens: Record<string, Principal>,
  tenants: string[],
  keysAs: (keys: KeyStore) => KeyStore = (keys) => keys,
) {
  const opened = openSqliteStorage(join(dir, file));
  const storage: Storage = { ...opened, keys: keysAs(opened.keys) };
  let handlers: ConfigWatchHandlers | undefined;
  const source: ConfigSource = {
    initial: configOf(tenants),
    path: null,
    watch(given) {
      handlers = given;
      return () => {};
    },
  };
  const auth = async (headers: Headers): Promise<Principal> => {
    const principal = tokens[headers.get("authorization")?.replace(/^Bearer /, "") ?? ""];
    if (!principal) throw new Error("not one of the embedder's callers");
    return principal;
  };
  const gateway: Gateway = await createGateway({ configSource: source, storage, auth, logger: silentLogger });
  const at = (path: string, headers: Record<string, string>, method = "GET") =>
    gateway.handle(new Request(`http://localhost${path}`, { method, headers }));
  /** What a caller is shown: the keys it manages (name and tenant), and whether it reads gateway-wide stats. */
  const viewOf = async (headers: Record<string, string>) => {
    const keys = await at("/admin/api/keys", headers);
    const listed = (await keys.json()) as { keys?: { name: string; tenant: string }[] };
    return {
      keys: keys.status,
      listed: listed.keys?.map((key) => `${key.name}@${key.tenant}`).sort(),
      stats: (await at("/admin/api/stats?window=15m", headers)).status,
    };
  };
  /** The tenant `/admin/auth/session` tells the page it is held to (null: every tenant). */
  const toldTenant = async (headers: Record<string, string>) =>
    (
      (await (await at("/admin/auth/session", { cookie: headers.cookie ?? "" })).json()) as {
        user?: { tenant: string | null };
      }
    ).user?.tenant;
  const reload = async (next: string[]) => {
    await handlers?.onValid(configOf(next));
  };
  const close = async () => {
    await gateway.stop();
    await opened.close();
  };
  return {
    storage,
    at,
    /** Signs in with the token: the cookie and CSRF headers of its session. */
    signIn: (token: string) => signIn(gateway, token),
    viewOf,
    toldTenant,
    reload,
    close,
  };
}

const adminOf = (over: Partial<Principal>): Principal => ({
  keyId: null,
  name: "ops",
  tenant: "team-a",
  role: "admin",
  models: ["*"],
  limits: {},
  via: "key",
  ...over,
});

test("an embedder's admin with a key id: its session is what its header is, not the gateway's record of that key (another tenant)", async () => {
  // The gateway's own record of the key names a tenant no longer listed; the embedder vouches
  // for it as team-a's admin.
  const record = numberedKey({ tenant: "team-gone", role: "admin", models: ["*"], rpm: null, tpm: null });
  const gw = await embedderGateway(
    "key-id.db",
    {
      stored: adminOf({ keyId: record.id }),
      // A key id of the embedder's own, which the gateway's store does not hold.
      own: adminOf({ keyId: "emb_7", name: "ops-7" }),
    },
    ["team-a", "team-b"],
  );
  try {
    await gw.storage.keys.create(record);
    await gw.storage.keys.create(numberedKey({ tenant: "team-a", name: "a-key" }));
    await gw.storage.keys.create(numberedKey({ tenant: "team-b", name: "b-key" }));
    for (const token of ["stored", "own"]) {
      const bearer = { authorization: `Bearer ${token}` };
      const session = await gw.signIn(token);
      const header = await gw.viewOf(bearer);
      expect(header).toEqual({ keys: 200, listed: ["a-key@team-a"], stats: 403 });
      expect(await gw.viewOf(session)).toEqual(header);
      expect(await gw.toldTenant(session)).toBe("team-a");
    }
  } finally {
    await gw.close();
  }
});

test("an embedder's admin of a tenant the config does not list is held to its name, and /admin/auth/session tells the page so, before and after a reload lists it", async () => {
  const gw = await embedderGateway("reload.db", { platform: adminOf({ tenant: "platform" }) }, ["team-a"]);
  try {
    await gw.storage.keys.create(numberedKey({ tenant: "platform", name: "p-key" }));
    await gw.storage.keys.create(numberedKey({ tenant: "team-a", name: "a-key" }));
    const session = await gw.signIn("platform");
    // Unlisted: not gateway-wide (null), but its tenant, as the API holds it.
    expect(await gw.toldTenant(session)).toBe("platform");
    expect(await gw.viewOf(session)).toEqual({ keys: 200, listed: ["p-key@platform"], stats: 403 });
    await gw.reload(["team-a", "platform"]);
    const header = await gw.viewOf({ authorization: "Bearer platform" });
    expect(header).toEqual({ keys: 200, listed: ["p-key@platform"], stats: 403 });
    expect(await gw.viewOf(session)).toEqual(header);
    expect(await gw.toldTenant(session)).toBe("platform");
  } finally {
    await gw.close();
  }
});

test("an embedder's admin session whose key id the store holds ends once that key is revoked or expires, its principal never replaced by the record's; one whose id the store does not hold stays signed in", async () => {
  // The store's records name another tenant: a session that read them would list team-b's keys.
  const revoked = numberedKey({ tenant: "team-b", role: "admin", models: ["*"], rpm: null, tpm: null });
  const expiring = numberedKey({ tenant: "team-b", role: "admin", models: ["*"], rpm: null, tpm: null });
  const gw = await embedderGateway(
    "revoked.db",
    {
      revoked: adminOf({ keyId: revoked.id }),
      expiring: adminOf({ keyId: expiring.id, name: "ops-2" }),
      own: adminOf({ keyId: "emb_7", name: "ops-7" }),
    },
    ["team-a", "team-b"],
  );
  try {
    for (const record of [revoked, expiring]) await gw.storage.keys.create(record);
    await gw.storage.keys.create(numberedKey({ tenant: "team-a", name: "a-key" }));
    const sessions = {
      revoked: await gw.signIn("revoked"),
      expiring: await gw.signIn("expiring"),
      own: await gw.signIn("own"),
    };
    for (const session of Object.values(sessions))
      expect(await gw.viewOf(session)).toEqual({ keys: 200, listed: ["a-key@team-a"], stats: 403 });
    // Changed by another process (`mindgw keys`, another node): learned at the key cache's refresh.
    await gw.storage.keys.revoke(revoked.id, Date.now());
    await gw.storage.keys.setExpiresAt(expiring.id, Date.now() - 1);
    for (const session of [sessions.revoked, sessions.expiring])
      await waitForValue(
        "the session ended",
        async () => (await gw.at("/admin/api/keys", session)).status === 401,
      );
    // Ended for good: not signed in either when asked by the page.
    expect(await gw.toldTenant(sessions.revoked)).toBeUndefined();
    expect(await gw.viewOf(sessions.own)).toEqual({ keys: 200, listed: ["a-key@team-a"], stats: 403 });
  } finally {
    await gw.close();
  }
});

test("an embedder's admin session whose key is revoked through this node's admin API ends at its next request, not at the key cache's refresh", async () => {
  const key = numberedKey({ tenant: "team-a", role: "admin", models: ["*"], rpm: null, tpm: null });
  const gw = await embedderGateway(
    "revoked-here.db",
    { held: adminOf({ keyId: key.id }), revoker: adminOf({ name: "ops-r" }) },
    ["team-a"],
  );
  try {
    await gw.storage.keys.create(key);
    const session = await gw.signIn("held");
    expect((await gw.at("/admin/api/keys", session)).status).toBe(200);
    const revoke = await gw.at(
      `/admin/api/keys/${key.id}/revoke`,
      { authorization: "Bearer revoker" },
      "POST",
    );
    expect(revoke.status).toBe(200);
    // Asked once, straight after: no waiting for the refresh (2 s) that tells another process's revoke.
    expect((await gw.at("/admin/api/keys", session)).status).toBe(401);
  } finally {
    await gw.close();
  }
});

test("an embedder's admin session reads the store for its key id once, not at every request, and never for an id no stored key can have; a store that fails is a 503 to retry, the session kept", async () => {
  const held = numberedKey({ tenant: "team-a", role: "admin", models: ["*"], rpm: null, tpm: null });
  const later = numberedKey({ tenant: "team-a", role: "admin", models: ["*"], rpm: null, tpm: null });
  const reads: string[] = [];
  let failing = false;
  const gw = await embedderGateway(
    "reads.db",
    {
      held: adminOf({ keyId: held.id }),
      later: adminOf({ keyId: later.id, name: "ops-l" }),
      own: adminOf({ keyId: "emb_7", name: "ops-7" }),
    },
    ["team-a"],
    (keys) => ({
      ...keys,
      getById: async (id) => {
        reads.push(id);
        if (failing) throw new Error("the key store is down");
        return keys.getById(id);
      },
    }),
  );
  try {
    for (const record of [held, later]) await gw.storage.keys.create(record);
    const sessions = {
      held: await gw.signIn("held"),
      later: await gw.signIn("later"),
      own: await gw.signIn("own"),
    };
    // What signing in read (a key's rotation chain) is not the sessions'.
    reads.length = 0;
    // As the UI polls.
    for (let poll = 0; poll < 3; poll++)
      for (const session of [sessions.held, sessions.own])
        expect((await gw.at("/admin/api/keys", session)).status).toBe(200);
    expect(reads).toEqual([held.id]);
    failing = true;
    const failed = await gw.at("/admin/api/keys", sessions.later);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe("storage_unavailable");
    failing = false;
    expect((await gw.at("/admin/api/keys", sessions.later)).status).toBe(200);
    expect(await gw.toldTenant(sessions.later)).toBe("team-a");
  } finally {
    await gw.close();
  }
});
