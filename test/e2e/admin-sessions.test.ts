import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { createKey, withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Web UI sessions live in storage: a restart keeps them, only the id's hash is stored, and
// revoking the key they were opened with still ends them. Driven with fetch, as the page does.
const dir = tempDir();
// Gateways per test (stopped after it); the first test's share `dir`, which the fixture removes.
const fx = gatewayFixture({ fake: null, gateway: false, dir: dir.path });
let postgres: PostgresServer | undefined;

function start(): Promise<GatewayProcess> {
  return fx.spawn({ dir: dir.path, config: { providers: [{ name: "demo", type: "mock" }] } });
}

const asSession = (cookie: string, csrf: string) => ({
  cookie: `mindgw_session=${cookie}`,
  "x-csrf-token": csrf,
});

test("a session survives a restart, is stored only as its hash, and ends when its key is revoked", async () => {
  const first = await start();
  const bootstrap = first.adminKey ?? "";
  const ops = await createKey(first, { name: "ops", role: "admin", models: ["*"] });
  const login = await fetch(`${first.url}/admin/auth/login`, {
    method: "POST",
    headers: { authorization: `Bearer ${ops.key}` },
  });
  expect(login.status).toBe(200);
  const cookie = /mindgw_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const { csrf } = (await login.json()) as { csrf: string };
  expect(cookie.length).toBeGreaterThan(20);
  const headers = asSession(cookie, csrf);
  expect((await fetch(`${first.url}/admin/api/keys`, { headers })).status).toBe(200);

  // Only an admin key opens a session, never a session itself; signing out needs one.
  const user = await createKey(first, { name: "user", models: ["*"] });
  const refusals = await Promise.all(
    [
      ["/admin/auth/login", { authorization: `Bearer ${user.key}` }],
      ["/admin/auth/login", headers],
      ["/admin/auth/logout", { authorization: `Bearer ${ops.key}` }],
    ].map(async ([path, sent]) => {
      const res = await fetch(`${first.url}${path}`, { method: "POST", headers: sent as HeadersInit });
      const body = (await res.json()) as { error: { message: string } };
      return [res.status, body.error.message];
    }),
  );
  expect(refusals).toEqual([
    [403, "this credential lacks the required role"],
    [400, "sign in with an admin key, not a session"],
    [400, "not signed in with a session"],
  ]);

  const stored = withDb(`${dir.path}/mindgw.db`, (db) =>
    db
      .query<{ id_hash: string; principal: string }, []>("SELECT id_hash, principal FROM admin_sessions")
      .all(),
  );
  expect(stored.map((s) => s.id_hash)).toEqual([createHash("sha256").update(cookie).digest("hex")]);
  expect(JSON.stringify(stored)).not.toContain(cookie);
  expect(JSON.stringify(stored)).not.toContain(ops.key);

  expect(await first.stop("SIGTERM")).toBe(0);
  const second = await start();
  const session = (await (await fetch(`${second.url}/admin/auth/session`, { headers })).json()) as {
    signedIn: boolean;
    user?: { name: string };
  };
  expect(session).toMatchObject({ signedIn: true, user: { name: "ops" } });
  expect((await fetch(`${second.url}/admin/api/keys`, { headers })).status).toBe(200);
  expect((await fetch(`${second.url}/admin/api/keys`, { headers: { cookie: headers.cookie } })).status).toBe(
    403,
  );

  const revoke = await fetch(`${second.url}/admin/api/keys/${ops.id}/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${bootstrap}` },
  });
  expect(revoke.status).toBe(200);
  expect((await fetch(`${second.url}/admin/api/keys`, { headers })).status).toBe(401);
  const gone = withDb(`${dir.path}/mindgw.db`, (db) =>
    db.query<{ n: number }, []>("SELECT count(*) AS n FROM admin_sessions").get(),
  );
  expect(gone?.n).toBe(0); // the revoked key's session was ended, not just refused
}, 60_000);

test("on PostgreSQL, a session opened on one node works on another; signing out on either ends it", async () => {
  postgres = fx.own(await startPostgres());
  const url = await postgres.createDatabase("sessions");
  const config = {
    storage: { driver: "postgres", url, sslmode: "disable", connect_timeout: "1s" },
    providers: [{ name: "demo", type: "mock" }],
  };
  const a = await fx.spawn({ config });
  const b = await fx.spawn({ config });
  const login = await fetch(`${a.url}/admin/auth/login`, {
    method: "POST",
    headers: { authorization: `Bearer ${a.adminKey}` },
  });
  expect(login.status).toBe(200);
  const cookie = /mindgw_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const { csrf } = (await login.json()) as { csrf: string };
  const headers = asSession(cookie, csrf);
  expect((await fetch(`${b.url}/admin/api/keys`, { headers })).status).toBe(200);
  const logout = await fetch(`${b.url}/admin/auth/logout`, { method: "POST", headers });
  expect(logout.status).toBe(200);
  expect((await fetch(`${a.url}/admin/api/keys`, { headers })).status).toBe(401);
}, 60_000);
