import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { AUDIENCE, ISSUER, sign } from "../../src/auth/jwt-test-kit.ts";
import { auditRecords, auditRow } from "./harness/admin-api.ts";
import { adminGet, createKey, withDb } from "./harness/audit-kit.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type OidcIssuer, startOidcIssuer } from "./harness/oidc-issuer.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { asSession, signIn } from "./harness/session-sign-in.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// Web UI sessions live in storage: a restart keeps them, only the id's hash is stored, and
// revoking the key they were opened with still ends them. Driven with fetch, as the page does.
const dir = tempDir();
// Gateways per test (stopped after it); the first test's share `dir`, which the fixture removes.
const fx = gatewayFixture({ fake: null, gateway: false, dir: dir.path });
let postgres: PostgresServer | undefined;

function start(): Promise<GatewayProcess> {
  return fx.spawn({ dir: dir.path, config: { providers: [{ name: "demo", type: "mock" }] } });
}

/** The live event stream opened with `headers`; `ended` waits (with the suite's deadline) for its end. */
async function openEvents(url: string, headers: Record<string, string>) {
  const res = await fetch(`${url}/admin/api/events`, { headers });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    // The suite's one wait holds its async check to the deadline: a stream still open fails it.
    ended: (what: string) =>
      waitFor(what, async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return true;
          text += decoder.decode(value, { stream: true });
        }
      }),
    /** Waits for an event whose data has `needle`, reading as it comes. */
    delivers: (what: string, needle: string) =>
      waitFor(what, async () => {
        while (!text.includes(needle)) {
          const { done, value } = await reader.read();
          if (done) return false;
          text += decoder.decode(value, { stream: true });
        }
        return true;
      }),
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** The browser's part of a single sign-on, by hand: the answers of its start and of the callback. */
async function ssoSignIn(url: string) {
  const start = await fetch(`${url}/admin/auth/oidc`, { redirect: "manual" });
  const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = await fetch(approved.headers.get("location") ?? "", {
    headers: { cookie: `mindgw_oidc=${pending}` },
    redirect: "manual",
  });
  return { start, callback };
}

/** The session a callback opened, as the page then holds it: its cookie and CSRF token. */
async function ssoSession(url: string, callback: Response) {
  const cookie = /mindgw_session=([^;]+)/.exec(callback.headers.getSetCookie().join("\n"))?.[1] ?? "";
  const session = await fetch(`${url}/admin/auth/session`, {
    headers: { cookie: `mindgw_session=${cookie}` },
  });
  const { csrf } = (await session.json()) as { csrf: string };
  return asSession(cookie, csrf);
}

const mockModels = {
  providers: [{ name: "demo", type: "mock" }],
  models: [{ name: "mock-1", routes: [{ provider: "demo", model: "mock-1" }] }],
};

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
  // Each 401's access line says why (the client is told no more), never the cookie.
  const forged = asSession("forged-session-id-0123456789abcdef", csrf);
  expect((await fetch(`${second.url}/admin/api/keys`, { headers: forged })).status).toBe(401);
  const refusedLines = () =>
    second.stderr.all.split("\n").filter((line) => line.includes(" request ") && line.includes("status=401"));
  await waitFor("the refusals' details in the log", () =>
    refusedLines().some((line) => line.includes("detail=session_ended")) &&
    refusedLines().some((line) => line.includes("detail=unknown_session"))
      ? true
      : undefined,
  );
  expect(second.stderr.all).not.toContain(cookie);
  expect(second.stderr.all).not.toContain("forged-session-id");
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

test("what a session opened ends with it: its event stream ends at sign-out, at the session's expiry and by a shortened session_ttl, its key's own goes on", async () => {
  const gw = await fx.spawn({ config: mockModels });
  const ops = await createKey(gw, { name: "ops", role: "admin", models: ["*"] });
  /** A chat with the key: its request id, which its audit event carries. */
  const chat = async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(ops.key),
      body: chatBody("mock-1"),
    });
    expect(res.status).toBe(200);
    await res.text();
    return res.headers.get("x-request-id") ?? "";
  };

  // Nothing else ends a stream (it stays open as long as its reader reads): its end within the
  // deadline is the sign-out's doing.
  const first = await signIn(gw.url, ops.key);
  const watching = await openEvents(gw.url, first);
  // The cookie reaches /admin/api alone: the gateway-wide metrics are not the page's to read.
  const metrics = await fetch(`${gw.url}/metrics`, { headers: first });
  expect(metrics.status).toBe(403);
  expect(await metrics.text()).not.toContain("mindgw_");
  expect((await fetch(`${gw.url}/admin/auth/logout`, { method: "POST", headers: first })).status).toBe(200);
  await watching.ended("the signed-out session's event stream to end");
  expect((await fetch(`${gw.url}/admin/api/events`, { headers: first })).status).toBe(401);

  // Signed in under the default 12 h: a reload to three seconds ends it, and its stream, by then.
  const before = await signIn(gw.url, ops.key);
  const beforeWatching = await openEvents(gw.url, before);
  // A session of three seconds (session_ttl, at sign-in): its stream ends then, the key's own does not.
  await gw.writeConfig({ ...mockModels, admin_ui: { session_ttl: "3s" } });
  await waitFor("the short session_ttl to apply", () => gw.stderr.all.includes("config reloaded"));
  await beforeWatching.ended("the stream of a session signed in before session_ttl was shortened to end");
  expect((await fetch(`${gw.url}/admin/api/events`, { headers: before })).status).toBe(401);
  const keyOwn = await openEvents(gw.url, bearer(ops.key));
  const brief = await signIn(gw.url, ops.key);
  const expiring = await openEvents(gw.url, brief);
  await expiring.ended("the expired session's event stream to end");
  expect((await fetch(`${gw.url}/admin/api/events`, { headers: brief })).status).toBe(401);
  const requestId = await chat();
  expect(requestId).not.toBe("");
  await keyOwn.delivers("the key's own stream to go on delivering", requestId);
  keyOwn.cancel();
}, 60_000);

/** The identity provider the JWT session tests trust: an HS256 secret, its issuer and audience. */
const IDP = {
  secret: "a-shared-secret-for-the-session-tests-012345",
  issuer: ISSUER,
  audience: AUDIENCE,
};

/** A token of `claims` from the IDP (jwt-test-kit.ts `sign`: expiring in 5 min unless `exp` says). */
const idpToken = (claims: Record<string, unknown>) =>
  sign(new TextEncoder().encode(IDP.secret), { alg: "HS256" }, claims);

/** The session cookie's value and its Max-Age from a response's Set-Cookie headers. */
const sessionCookieOf = (response: Response) => {
  const line = response.headers.getSetCookie().find((c) => c.startsWith("mindgw_session=")) ?? "";
  return {
    id: /mindgw_session=([^;]*)/.exec(line)?.[1] ?? "",
    maxAge: Number(/Max-Age=(\d+)/.exec(line)?.[1]),
  };
};

test("a session has its admin key's rights as they are now: narrowed after sign-in, it makes no key wider than the key may", async () => {
  const gw = await fx.spawn({ config: mockModels });
  const ops = await createKey(gw, { name: "ops", role: "admin", models: ["*"] });
  const session = await signIn(gw.url, ops.key);
  const narrow = await fetch(`${gw.url}/admin/api/keys/${ops.id}/limits`, {
    method: "POST",
    headers: bearer(gw.adminKey ?? ""),
    body: JSON.stringify({ models: ["mock-*"], rpm: 5, expires_in: "1h" }),
  });
  expect(narrow.status).toBe(200);
  const wideKey = (headers: Record<string, string>) =>
    fetch(`${gw.url}/admin/api/keys`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ name: "wide", role: "admin" }),
    }).then((res) => res.status);
  // Refused to the key itself, and now to the session opened with it before it was narrowed.
  expect(await wideKey(bearer(ops.key))).toBe(403);
  expect(await wideKey(session)).toBe(403);
  // Its models are the key's now: within its rpm and life, a key for a model the key lost is
  // refused for that model alone, and one for a model it kept is made.
  const keyFor = async (model: string) => {
    const res = await fetch(`${gw.url}/admin/api/keys`, {
      method: "POST",
      headers: { ...session, "content-type": "application/json" },
      body: JSON.stringify({ name: `for-${model}`, models: [model], rpm: 5, expires_in: "30m" }),
    });
    const body = (await res.json()) as { error?: { message: string } };
    return [res.status, body.error?.message ?? null];
  };
  expect(await keyFor("gpt-4o")).toEqual([
    403,
    "this admin key may not create a key wider than itself: models gpt-4o are outside this key's own models",
  ]);
  expect(await keyFor("mock-1")).toEqual([201, null]);
  const { expiresAt } = (await (
    await fetch(`${gw.url}/admin/auth/session`, { headers: session })
  ).json()) as { expiresAt: number };
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
}, 60_000);

test("a session opened with a JWT ends once a reload stops trusting the token: its secret rotated, admin out of allowed_roles", async () => {
  const jwtConfig = (key: string, roles: string[]) => ({
    ...mockModels,
    auth: {
      jwt: {
        ...IDP,
        secret: key,
        algorithms: ["HS256"],
        claims: { name: "sub", role: "role" },
        allowed_roles: roles,
      },
    },
  });
  const gw = await fx.spawn({ config: jwtConfig(IDP.secret, ["admin", "user"]) });
  const token = await idpToken({ sub: "ops", role: "admin" });
  const keysBy = (headers: Record<string, string>) =>
    fetch(`${gw.url}/admin/api/keys`, { headers }).then((res) => res.status);
  for (const next of [
    jwtConfig(`${IDP.secret}-rotated`, ["admin", "user"]),
    jwtConfig(IDP.secret, ["user"]),
  ]) {
    await gw.writeConfig(jwtConfig(IDP.secret, ["admin", "user"]));
    await waitFor("the token to be trusted", async () => (await keysBy(bearer(token))) === 200);
    const session = await signIn(gw.url, token);
    const watching = await openEvents(gw.url, session);
    await gw.writeConfig(next);
    await waitFor("the token to be refused", async () => (await keysBy(bearer(token))) === 401);
    // Ended by the reload itself: its stream ends before the session makes another request.
    await watching.ended("the JWT session's event stream to end with the gateway's trust in its token");
    expect(await keysBy(session)).toBe(401);
  }
}, 60_000);

test("a session opened with a JWT that default_role made an admin ends once default_role is user", async () => {
  const withDefaultRole = (role: string) => ({
    ...mockModels,
    auth: {
      jwt: {
        ...IDP,
        algorithms: ["HS256"],
        allowed_roles: ["admin", "user"],
        default_role: role,
      },
    },
  });
  const gw = await fx.spawn({ config: withDefaultRole("admin") });
  // No role claim: the token is whatever default_role says.
  const token = await idpToken({ sub: "ops" });
  const keysBy = (headers: Record<string, string>) =>
    fetch(`${gw.url}/admin/api/keys`, { headers }).then((res) => res.status);
  const session = await signIn(gw.url, token);
  expect(await keysBy(session)).toBe(200);
  await gw.writeConfig(withDefaultRole("user"));
  await waitFor("the token to be a user's", async () => (await keysBy(bearer(token))) === 403);
  expect(await keysBy(session)).toBe(401);
}, 60_000);

test("a session opened with a JWT lasts no longer than the token", async () => {
  const gw = await fx.spawn({
    config: {
      providers: [{ name: "demo", type: "mock" }],
      auth: {
        jwt: {
          ...IDP,
          algorithms: ["HS256"],
          clock_tolerance: "1s",
          claims: { name: "sub", role: "role" },
          allowed_roles: ["admin", "user"],
        },
      },
    },
  });
  const exp = Math.floor(Date.now() / 1000) + 3;
  const token = await idpToken({ sub: "ops", role: "admin", exp });
  const login = await fetch(`${gw.url}/admin/auth/login`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  expect(login.status).toBe(200);
  const cookie = sessionCookieOf(login);
  const { csrf, expiresAt } = (await login.json()) as { csrf: string; expiresAt: number };
  // Not session_ttl's 12 hours: the token's exp and its 1 s of clock tolerance.
  expect(expiresAt).toBe((exp + 1) * 1000);
  expect(cookie.maxAge).toBeLessThanOrEqual(4);
  const headers = asSession(cookie.id, csrf);
  expect((await fetch(`${gw.url}/admin/api/keys`, { headers })).status).toBe(200);
  await waitFor("the session to end with its token", async () => {
    const status = (await fetch(`${gw.url}/admin/api/keys`, { headers })).status;
    return status === 401;
  });
}, 60_000);

test("a session opened with a JWT is recorded as the token's subject, not its bare name: its admin calls' rows, access lines and admin actions", async () => {
  const gw = await fx.spawn({
    config: {
      providers: [{ name: "demo", type: "mock" }],
      tenants: [{ name: "acme" }],
      auth: {
        jwt: {
          ...IDP,
          algorithms: ["HS256"],
          claims: { name: "sub", role: "role", tenant: "tenant" },
          allowed_roles: ["admin", "user"],
        },
      },
    },
  });
  // acme's user key of the same name: the session's admin calls must not read as its calls.
  const namesake = await createKey(gw, { name: "alice", role: "user", tenant: "acme" });
  const token = await idpToken({ sub: "alice", role: "admin", tenant: "acme" });
  const headers = await signIn(gw.url, token);
  const requestIdOf = async (init: Record<string, string>) => {
    const res = await fetch(`${gw.url}/admin/api/keys`, { headers: init });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return res.headers.get("x-request-id") ?? "";
  };
  const bySession = await requestIdOf(headers);
  const byBearer = await requestIdOf(bearer(token));
  for (const id of [bySession, byBearer])
    expect(await auditRow(gw, id)).toMatchObject({
      keyId: "jwt:acme:alice",
      keyName: "alice",
      tenant: "acme",
    });
  const line = await waitFor("the session call's access line", () =>
    gw.stderr.all.split("\n").find((l) => l.includes(` request request_id=${bySession} `)),
  );
  expect(line).toContain(" key=jwt:acme:alice tenant=acme ");
  const ids = (await auditRecords(gw, { key: "jwt:acme:alice" })).map((r) => r.requestId);
  expect(ids).toEqual(expect.arrayContaining([bySession, byBearer]));
  expect((await auditRecords(gw, { key: namesake.id })).map((r) => r.requestId)).not.toContain(bySession);
  // The admin-action audit: the sign-in and the sign-out, each by the subject's id.
  expect((await fetch(`${gw.url}/admin/auth/logout`, { method: "POST", headers })).status).toBe(200);
  const { actions } = await adminGet<{
    actions: { action: string; actor: string; actorKeyId: string | null }[];
  }>(gw, "/admin/api/actions");
  expect(actions.filter((a) => a.action.startsWith("session."))).toEqual([
    expect.objectContaining({ action: "session.sign_out", actor: "alice", actorKeyId: "jwt:acme:alice" }),
    expect.objectContaining({ action: "session.sign_in", actor: "alice", actorKeyId: "jwt:acme:alice" }),
  ]);
}, 60_000);

test("single sign-on: an unverified email signs nobody in; a session, and the event stream it opened, end once its user leaves allowed_users", async () => {
  const client = { id: "mindgw", secret: "oidc-s3cret" };
  const issuer = await startOidcIssuer(client);
  fx.deferTest(() => issuer.stop());
  const providers = [{ name: "demo", type: "mock" }];
  const gw = await fx.spawn({ config: { providers } });
  const withUsers = (allowed_users: string[]) => ({
    providers,
    admin_ui: {
      oidc: {
        issuer: issuer.url,
        client_id: client.id,
        client_secret: client.secret,
        redirect_url: `${gw.url}/admin/auth/callback`,
        allowed_users,
      },
    },
  });
  await gw.writeConfig(withUsers(["alice@example.com"]));
  await waitFor("single sign-on to be configured", async () => {
    const session = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
    return session.oidc;
  });

  const signIn = async () => (await ssoSignIn(gw.url)).callback;

  issuer.user = { sub: "u-9", email: "alice@example.com", groups: [], claims: { email_verified: null } };
  const unverified = await signIn();
  expect(unverified.status).toBe(302);
  expect(sessionCookieOf(unverified).id).toBe("");
  await waitFor("the refusal's reason in the log", () =>
    gw.stderr.all.includes("email alice@example.com not verified (email_verified), and subject u-9 is not"),
  );

  issuer.user = { sub: "u-9", email: "alice@example.com", groups: [] };
  const callback = await signIn();
  expect(callback.headers.get("location")).toBe("/admin/");
  const cookie = sessionCookieOf(callback).id;
  const { csrf } = (await (
    await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie: `mindgw_session=${cookie}` } })
  ).json()) as { csrf: string };
  const headers = asSession(cookie, csrf);
  const keys = await fetch(`${gw.url}/admin/api/keys`, { headers });
  expect(keys.status).toBe(200);
  // Recorded by the id its limits count under, never by a bare name a key or a JWT may share.
  expect(await auditRow(gw, keys.headers.get("x-request-id") ?? "")).toMatchObject({
    keyId: "session:default:alice@example.com",
    keyName: "alice@example.com",
  });
  const { actions } = await adminGet<{ actions: { action: string; actorKeyId: string | null }[] }>(
    gw,
    "/admin/api/actions",
  );
  expect(actions.find((a) => a.action === "session.sign_in")?.actorKeyId).toBe(
    "session:default:alice@example.com",
  );
  const watching = await openEvents(gw.url, headers);

  await gw.writeConfig(withUsers(["bob@example.com"]));
  // Ended by the reload itself: the session makes no request before its stream ends.
  await watching.ended("alice's event stream to end with her place on the allow-list");
  await waitFor("the session to end with alice's place on the allow-list", async () => {
    return (await fetch(`${gw.url}/admin/api/keys`, { headers })).status === 401;
  });
  await gw.writeConfig(withUsers(["alice@example.com"]));
  await waitFor("the config to be back", async () => gw.stderr.all.split("config reloaded").length - 1 >= 3);
  expect((await fetch(`${gw.url}/admin/api/keys`, { headers })).status).toBe(401); // ended for good
}, 60_000);

test("single sign-on's steps have a request id and an audit row; the provider failing says sso_unavailable, a declined sign-in sso_refused; a new issuer, or admin_ui.enabled off, ends its sessions", async () => {
  const client = { id: "mindgw", secret: "oidc-s3cret" };
  const [first, second] = [await startOidcIssuer(client), await startOidcIssuer(client)];
  fx.deferTest(() => first.stop());
  fx.deferTest(() => second.stop());
  const gw = await fx.spawn({ config: mockModels });
  const ssoAt = (issuer: OidcIssuer, enabled = true) => ({
    ...mockModels,
    admin_ui: {
      enabled,
      oidc: {
        issuer: issuer.url,
        client_id: client.id,
        client_secret: client.secret,
        redirect_url: `${gw.url}/admin/auth/callback`,
        // Another case than the token's email: mail systems do not tell them apart.
        allowed_users: ["Ops@Example.com"],
      },
    },
  });
  await gw.writeConfig(ssoAt(first));
  await waitFor("single sign-on to be configured", async () => {
    const session = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
    return session.oidc;
  });
  const sentBack = async (failing: OidcIssuer["failing"], logged: string) => {
    first.failing = failing;
    const { callback } = await ssoSignIn(gw.url);
    first.failing = {};
    const id = callback.headers.get("x-request-id") ?? "";
    await waitFor(`"${logged}" in the log with the callback's request id`, () =>
      gw.stderr.all.split("\n").some((l) => l.includes(logged) && l.includes(id)),
    );
    return callback.headers.get("location");
  };
  expect(await sentBack({ token: 503 }, "answered 503: temporarily_unavailable (down for maintenance)")).toBe(
    "/admin/?error=sso_unavailable",
  );
  expect(await sentBack({ authorize: "access_denied" }, "refused by the provider: access_denied")).toBe(
    "/admin/?error=sso_refused",
  );

  const { start, callback } = await ssoSignIn(gw.url);
  expect(callback.headers.get("location")).toBe("/admin/");
  const startId = start.headers.get("x-request-id") ?? "";
  const callbackId = callback.headers.get("x-request-id") ?? "";
  expect(await auditRow(gw, startId)).toMatchObject({ frontDoor: "admin", status: 302 });
  expect(await auditRow(gw, callbackId)).toMatchObject({
    frontDoor: "admin",
    status: 302,
    keyId: "session:default:ops@example.com",
  });
  const { actions } = await adminGet<{ actions: { action: string; requestId: string | null }[] }>(
    gw,
    "/admin/api/actions",
  );
  expect(actions.find((a) => a.action === "session.sign_in")?.requestId).toBe(callbackId);
  const keysBy = (headers: Record<string, string>) =>
    fetch(`${gw.url}/admin/api/keys`, { headers }).then((res) => res.status);
  const byFirst = await ssoSession(gw.url, callback);
  expect(await keysBy(byFirst)).toBe(200);

  // Another issuer: the same subject and email there are not the first issuer's user.
  await gw.writeConfig(ssoAt(second));
  await waitFor("the first issuer's session to end", async () => (await keysBy(byFirst)) === 401);
  const bySecond = await ssoSession(gw.url, (await ssoSignIn(gw.url)).callback);
  expect(await keysBy(bySecond)).toBe(200);

  await gw.writeConfig(ssoAt(second, false));
  await waitFor("the admin UI to be off", async () => (await fetch(`${gw.url}/admin/`)).status === 404);
  for (const path of ["/admin/auth/session", "/admin/auth/oidc", "/admin/auth/callback?code=x&state=y"])
    expect((await fetch(`${gw.url}${path}`, { redirect: "manual" })).status).toBe(404);
  const login = await fetch(`${gw.url}/admin/auth/login`, {
    method: "POST",
    headers: bearer(gw.adminKey ?? ""),
  });
  expect(login.status).toBe(404);
  expect(await keysBy(bySecond)).toBe(401);
  expect(await keysBy(bearer(gw.adminKey ?? ""))).toBe(200); // the API itself is not the UI
}, 60_000);
