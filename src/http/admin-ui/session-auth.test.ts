import { describe, expect, test } from "bun:test";
import type { Authenticator } from "../../auth/authenticate.ts";
import { unauthorized } from "../../auth/authenticate.ts";
import { KeySessions } from "../../auth/key-sessions.ts";
import { callerId, type Principal } from "../../auth/principal.ts";
import { parseConfig } from "../../config/load-config.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { silentLogger } from "../../log/logger.ts";
import { createMemoryAdminSessionStore } from "../../storage/memory/memory-admin-session-store.ts";
import { bindTenant, callerBinding } from "../../tenants/bind-tenant.ts";
import { fakeClock } from "../../testing/fake-clock.ts";
import { endSessionsNoLongerAdmitted, withSessions } from "./session-auth.ts";
import { type AdminSession, SessionStore, sessionIdHash } from "./session-store.ts";

const admin: Principal = {
  keyId: "key_admin",
  name: "ops",
  tenant: "default",
  role: "admin",
  models: ["*"],
  limits: {},
  via: "key",
};
/** The binding of a version with no tenant: these sessions' principals as they are. */
const unbound = callerBinding(parseConfig({ providers: [{ name: "p", type: "mock" }] }, {}));
const viaKey: Authenticator = async (headers) => {
  if (headers.get("authorization") === "Bearer mgw_good") return admin;
  throw unauthorized();
};

async function setup() {
  const clock = fakeClock(1_000_000);
  const active = new Set(["key_admin"]);
  /** The admin keys' records as they are now (their principals), by id. */
  const keys = new Map<string, Principal>([["key_admin", admin]]);
  /** The current `admin_ui`'s `enabled` and `session_ttl`, as a reload leaves them. */
  const ui = { enabled: true, ttlMs: 60_000, idleMs: 30 * 60_000 };
  const jwtTrusted = new Set(["trust-1"]);
  const backend = createMemoryAdminSessionStore();
  const live = new KeySessions({ now: clock.now, setTimer: (run, ms) => ({ cancel: clock.after(ms, run) }) });
  const sessions = new SessionStore({
    ttlMs: () => ui.ttlMs,
    idleMs: () => ui.idleMs,
    now: clock.now,
    backend,
    live,
  });
  const allowedUsers = new Set(["alice@example.com"]);
  const servedTenants = new Set(["default"]);
  const options = {
    sessions,
    enabled: () => ui.enabled,
    keyNow: async (id: string) => (active.has(id) ? (keys.get(id) ?? null) : null),
    ssoAllowed: (identity: { user: string | null }) =>
      identity.user !== null && allowedUsers.has(identity.user),
    jwtAdmits: async (admission: { trust: string }) => jwtTrusted.has(admission.trust),
    tenantServed: (tenant: string) => servedTenants.has(tenant),
  };
  const authenticate = withSessions(viaKey, unbound, options);
  const session = await sessions.create({ ...admin, via: "session" }, "key");
  const headers = (extra: Record<string, string> = {}) =>
    new Headers({ cookie: `other=1; mindgw_session=${session.id}`, "x-csrf-token": session.csrf, ...extra });
  return {
    sessions,
    backend,
    live,
    options,
    authenticate,
    session,
    headers,
    active,
    keys,
    ui,
    jwtTrusted,
    allowedUsers,
    servedTenants,
    now: clock.now,
    advance: clock.advance,
  };
}

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: unknown) => (error instanceof GatewayError ? error.status : -1),
  );

describe("withSessions", () => {
  test("the cookie with its CSRF token is the session's principal", async () => {
    const { authenticate, headers } = await setup();
    expect(await authenticate(headers())).toMatchObject({ name: "ops", via: "session", keyId: "key_admin" });
  });

  test("a session is bound by the binding its version hands in, whatever wraps that version's authenticator", async () => {
    const { options, sessions, servedTenants } = await setup();
    servedTenants.add("team-a");
    const config = parseConfig(
      {
        providers: [{ name: "p", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "p", model: "m" }] }],
        tenants: [{ name: "team-a", models: ["m"], rpm: 7 }],
      },
      {},
    );
    const base = bindTenant(viaKey, config);
    // A later wrapper (a timing bound, say) between the version's authenticator and the sessions.
    const wrapped: Authenticator = (headers) => base(headers);
    const authenticate = withSessions(wrapped, callerBinding(config), options);
    const jwtOfTeam: Principal = { ...admin, keyId: null, tenant: "team-a", via: "jwt" };
    const session = await sessions.create(jwtOfTeam, "key", { jwt: { trust: "trust-1", role: "admin" } });
    const headers = new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
    expect((await authenticate(headers)).tenantRules).toMatchObject({ bound: true, models: ["m"], rpm: 7 });
  });

  test("a missing or wrong CSRF token is 403, a forged session id 401", async () => {
    const { authenticate, session } = await setup();
    const cookie = `mindgw_session=${session.id}`;
    expect(await statusOf(authenticate(new Headers({ cookie })))).toBe(403);
    expect(await statusOf(authenticate(new Headers({ cookie, "x-csrf-token": `${session.csrf}x` })))).toBe(
      403,
    );
    expect(await statusOf(authenticate(new Headers({ cookie, "x-csrf-token": "" })))).toBe(403);
    const forged = new Headers({ cookie: "mindgw_session=forged", "x-csrf-token": session.csrf });
    expect(await statusOf(authenticate(forged))).toBe(401);
  });

  test("a refused cookie's 401 says why for the log (detail), never the cookie: unknown, or ended now", async () => {
    const { authenticate, headers, active } = await setup();
    const detailOf = (promise: Promise<unknown>) =>
      promise.then(
        () => "admitted",
        (error: unknown) => (error instanceof GatewayError ? [error.status, error.detail] : error),
      );
    const forged = new Headers({ cookie: "mindgw_session=forged-session-id", "x-csrf-token": "x" });
    expect(await detailOf(authenticate(forged))).toEqual([401, "unknown_session"]);
    // Its admin key revoked: the session ends with this request, and is unknown after it.
    active.delete("key_admin");
    expect(await detailOf(authenticate(headers()))).toEqual([401, "session_ended"]);
    expect(await detailOf(authenticate(headers()))).toEqual([401, "unknown_session"]);
  });

  test("a credential header goes to the base authenticator, cookie or not", async () => {
    const { authenticate, headers } = await setup();
    expect(await authenticate(headers({ authorization: "Bearer mgw_good" }))).toBe(admin);
    expect(await statusOf(authenticate(headers({ authorization: "Bearer mgw_bad" })))).toBe(401);
    expect(await statusOf(authenticate(new Headers({ cookie: "unrelated=1" })))).toBe(401);
  });

  test("a session ends at its expiry and when its key stops being active", async () => {
    const first = await setup();
    first.advance(59_999);
    expect(await statusOf(first.authenticate(first.headers()))).toBe(200);
    first.advance(1);
    expect(await statusOf(first.authenticate(first.headers()))).toBe(401);
    expect(await first.backend.prune(first.now())).toBe(1); // expired rows are swept

    const second = await setup();
    second.active.delete("key_admin");
    expect(await statusOf(second.authenticate(second.headers()))).toBe(401);
    second.active.add("key_admin"); // ended for good: re-activating the key does not revive it
    expect(await statusOf(second.authenticate(second.headers()))).toBe(401);
  });

  test("a reload that shortens session_ttl shortens the sessions open, and what they opened; a longer one lengthens none", async () => {
    const { authenticate, headers, ui, advance, live, options, now } = await setup();
    advance(20_000);
    const ended: string[] = [];
    live.holdFor(await authenticate(headers()), (reason) => ended.push(reason));
    ui.ttlMs = 30_000; // reloaded: the session, 20 s old, has 10 s left
    await endSessionsNoLongerAdmitted(options, silentLogger);
    expect(await authenticate(headers())).toMatchObject({ expiresAt: now() + 10_000 });
    advance(9_999);
    expect(ended).toEqual([]);
    expect(await statusOf(authenticate(headers()))).toBe(200);
    advance(1);
    expect(ended).toEqual(["session expired"]);
    expect(await statusOf(authenticate(headers()))).toBe(401);
    ui.ttlMs = 3_600_000; // a sign-in's end, once passed, is not brought back
    expect(await statusOf(authenticate(headers()))).toBe(401);

    const longer = await setup();
    longer.ui.ttlMs = 3_600_000;
    expect(await longer.authenticate(longer.headers())).toMatchObject({ expiresAt: longer.now() + 60_000 });
    longer.advance(60_000);
    expect(await statusOf(longer.authenticate(longer.headers()))).toBe(401);
  });

  test("a session of an admin key whose tenant a reload removed ends, as the key itself is refused", async () => {
    const { authenticate, headers, servedTenants } = await setup();
    expect(await statusOf(authenticate(headers()))).toBe(200);
    servedTenants.delete("default");
    expect(await statusOf(authenticate(headers()))).toBe(401);
    servedTenants.add("default"); // ended for good: the tenant put back does not revive it
    expect(await statusOf(authenticate(headers()))).toBe(401);
  });

  test("a session opened with a JWT the gateway verified ends with its tenant; an embedder's authenticator's is held to no configured tenant", async () => {
    const { sessions, options, servedTenants } = await setup();
    // As create-gateway.ts wires them: the gateway's own auth.jwt checks both; an embedder's neither.
    const { jwtAdmits: _ownJwt, tenantServed: _ownTenants, ...embedded } = options;
    const wirings = [
      { sessionAuth: options, afterRemoval: 401 },
      { sessionAuth: embedded, afterRemoval: 200 },
    ];
    for (const { sessionAuth, afterRemoval } of wirings) {
      servedTenants.add("team-a");
      const authenticate = withSessions(viaKey, unbound, sessionAuth);
      const jwtOfTeam: Principal = { ...admin, keyId: null, tenant: "team-a", via: "jwt" };
      const session = await sessions.create(jwtOfTeam, "key", { jwt: { trust: "trust-1", role: "admin" } });
      const headers = new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
      expect(await authenticate(headers)).toMatchObject({ tenant: "team-a", signedInWith: "jwt" });
      servedTenants.delete("team-a");
      expect(await statusOf(authenticate(headers))).toBe(afterRemoval);
    }
  });

  test("a session opened with an admin key has the key's rights as they are now, not as at sign-in", async () => {
    const { authenticate, headers, keys, now } = await setup();
    expect(await authenticate(headers())).toMatchObject({
      models: ["*"],
      limits: {},
      credentialExpiresAt: null,
    });
    // Narrowed after sign-in: its models, its limits, an expiry sooner than the session's.
    const narrowed = { ...admin, models: ["mock-*"], limits: { rpm: 5 }, expiresAt: now() + 30_000 };
    keys.set("key_admin", narrowed);
    expect(await authenticate(headers())).toMatchObject({
      via: "session",
      keyId: "key_admin",
      models: ["mock-*"],
      limits: { rpm: 5 },
      credentialExpiresAt: now() + 30_000,
      expiresAt: now() + 30_000,
    });
  });

  test("a session opened with a JWT ends once auth.jwt no longer admits what admitted it", async () => {
    const { sessions, authenticate, jwtTrusted } = await setup();
    const jwtAdmin: Principal = { ...admin, keyId: null, via: "jwt" };
    const signIn = async (jwt?: { trust: string; role: "admin" }) => {
      const session = await sessions.create(jwtAdmin, "key", jwt ? { jwt } : {});
      return new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
    };
    const headers = await signIn({ trust: "trust-1", role: "admin" });
    expect(await authenticate(headers)).toMatchObject({ name: "ops", signedInWith: "jwt" });
    jwtTrusted.delete("trust-1"); // a secret rotated, an issuer changed, admin out of allowed_roles
    expect(await statusOf(authenticate(headers))).toBe(401);
    jwtTrusted.add("trust-1"); // ended for good
    expect(await statusOf(authenticate(headers))).toBe(401);
    // A JWT session without what admitted it (stored before it was kept) is not honoured.
    expect(await statusOf(authenticate(await signIn()))).toBe(401);
  });

  test("while admin_ui.enabled is off, no session admits anyone, and each ends at its next use", async () => {
    const { authenticate, headers, ui } = await setup();
    ui.enabled = false;
    expect(await statusOf(authenticate(headers()))).toBe(401);
    ui.enabled = true;
    expect(await statusOf(authenticate(headers()))).toBe(401);
  });

  test("a session opened with a JWT ends when the token expires, not after session_ttl", async () => {
    const { sessions, authenticate, now, advance } = await setup();
    const jwtAdmin: Principal = { ...admin, keyId: null, via: "session", expiresAt: now() + 5_000 };
    const session = await sessions.create(jwtAdmin, "key", { jwt: { trust: "trust-1", role: "admin" } });
    expect(session.expiresAt).toBe(now() + 5_000);
    const headers = new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
    advance(4_999);
    expect(await statusOf(authenticate(headers))).toBe(200);
    advance(1);
    expect(await statusOf(authenticate(headers))).toBe(401);
  });

  test("a single sign-on session ends as soon as the allow-list no longer admits its user", async () => {
    const { sessions, authenticate, allowedUsers } = await setup();
    const user = { issuer: "https://idp.test", subject: "u-1", user: "alice@example.com", groups: [] };
    const sso: Principal = { ...admin, keyId: null, name: "alice@example.com", via: "session" };
    const session = await sessions.create(sso, "oidc", { sso: user });
    expect(await sessions.get(session.id)).toEqual(session); // the identity is kept with it
    const headers = new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
    expect(await authenticate(headers)).toMatchObject({ name: "alice@example.com", via: "session" });
    allowedUsers.delete("alice@example.com");
    expect(await statusOf(authenticate(headers))).toBe(401);
    allowedUsers.add("alice@example.com"); // ended for good: it takes a new sign-in
    expect(await statusOf(authenticate(headers))).toBe(401);
    // A single sign-on session without the identity it was admitted with is not honoured.
    const bare = await sessions.create(sso, "oidc");
    const bareHeaders = new Headers({ cookie: `mindgw_session=${bare.id}`, "x-csrf-token": bare.csrf });
    expect(await statusOf(authenticate(bareHeaders))).toBe(401);
  });

  test("a session's principal ends with the session, and what it opened ends at sign-out", async () => {
    const { authenticate, headers, live, sessions, session, now } = await setup();
    const principal = await authenticate(headers());
    expect(principal).toMatchObject({ expiresAt: now() + 60_000, sessionId: sessionIdHash(session.id) });
    const ended: string[] = [];
    live.holdFor(principal, (reason) => ended.push(reason));
    await sessions.end(session.id);
    expect(ended).toEqual(["session ended"]);
  });

  test("a config change ends the open streams of a single sign-on session the allow-list no longer admits", async () => {
    const { sessions, authenticate, allowedUsers, live, options } = await setup();
    const sso: Principal = { ...admin, keyId: null, name: "alice@example.com", via: "session" };
    const ended: string[] = [];
    for (const user of ["alice@example.com", "bob@example.com"]) {
      allowedUsers.add(user);
      const session = await sessions.create(sso, "oidc", {
        sso: { issuer: "https://idp.test", subject: user, user, groups: [] },
      });
      const headers = new Headers({ cookie: `mindgw_session=${session.id}`, "x-csrf-token": session.csrf });
      live.holdFor(await authenticate(headers), () => ended.push(user));
    }
    await endSessionsNoLongerAdmitted(options, silentLogger);
    expect(ended).toEqual([]);
    allowedUsers.delete("alice@example.com");
    await endSessionsNoLongerAdmitted(options, silentLogger); // before alice's session makes another request
    expect(ended).toEqual(["alice@example.com"]);
    expect(live.openWebSessions()).toHaveLength(1);
  });

  test("a session that cannot be judged at a config change (its JWT's key set never fetched) is kept and logged; the others are judged still", async () => {
    const { sessions, authenticate, allowedUsers, live, options } = await setup();
    const unjudgeable = {
      ...options,
      jwtAdmits: () =>
        Promise.reject(new GatewayError({ status: 503, code: "unavailable", message: "no key set yet" })),
    };
    const ended: string[] = [];
    const jwt: Principal = { ...admin, keyId: null, via: "jwt" };
    const jwtSession = await sessions.create(jwt, "key", { jwt: { trust: "trust-1", role: "admin" } });
    const jwtHeaders = new Headers({
      cookie: `mindgw_session=${jwtSession.id}`,
      "x-csrf-token": jwtSession.csrf,
    });
    live.holdFor(await authenticate(jwtHeaders), () => ended.push("jwt"));
    const sso: Principal = { ...admin, keyId: null, name: "alice@example.com", via: "session" };
    const ssoSession = await sessions.create(sso, "oidc", {
      sso: { issuer: "https://idp.test", subject: "alice", user: "alice@example.com", groups: [] },
    });
    const ssoHeaders = new Headers({
      cookie: `mindgw_session=${ssoSession.id}`,
      "x-csrf-token": ssoSession.csrf,
    });
    live.holdFor(await authenticate(ssoHeaders), () => ended.push("sso"));
    allowedUsers.delete("alice@example.com");
    const warnings: string[] = [];
    await endSessionsNoLongerAdmitted(unjudgeable, {
      ...silentLogger,
      warn: (message) => warnings.push(message),
    });
    expect(ended).toEqual(["sso"]);
    expect(warnings).toEqual(["an admin UI session could not be re-checked: kept until its next request"]);
  });

  test("in memory, sessions are bounded: past the cap the oldest ends", async () => {
    const sessions = new SessionStore({
      ttlMs: () => 60_000,
      idleMs: () => 60_000,
      backend: createMemoryAdminSessionStore(2),
    });
    const session = { ...admin, via: "session" as const };
    const a = await sessions.create(session, "key");
    const b = await sessions.create(session, "key");
    const c = await sessions.create(session, "key");
    expect(await sessions.get(a.id)).toBeUndefined();
    expect(await sessions.get(b.id)).toEqual(b);
    expect(await sessions.get(c.id)).toEqual(c);
    expect(new Set([a.id, b.id, c.id, a.csrf, b.csrf, c.csrf]).size).toBe(6);
  });
});

describe("SessionStore", () => {
  test("a session's principal is known by what signed it in: a JWT's subject id, its key's id, single sign-on's session id", async () => {
    const { sessions, backend, now } = await setup();
    const jwtAdmin: Principal = { ...admin, keyId: null, name: "alice", tenant: "acme", via: "jwt" };
    const byJwt = await sessions.create(jwtAdmin, "key");
    const byKey = await sessions.create(admin, "key");
    const user = { issuer: "https://idp.test", subject: "u-1", user: "ada@example.com", groups: [] };
    const sso: Principal = { ...admin, keyId: null, name: "ada@example.com", via: "session" };
    const bySso = await sessions.create(sso, "oidc", { sso: user });
    const ids = (...opened: AdminSession[]) => opened.map((s) => [s.principal.via, callerId(s.principal)]);
    const expected = [
      ["session", "jwt:acme:alice"],
      ["session", "key_admin"],
      ["session", "session:default:ada@example.com"],
    ];
    expect(ids(byJwt, byKey, bySso)).toEqual(expected);
    // Read back (a restart, another node), and from a session stored before this was kept.
    const restarted = new SessionStore({ ttlMs: () => 60_000, idleMs: () => 60_000, now, backend });
    const readBack = await Promise.all([byJwt, byKey, bySso].map((s) => restarted.get(s.id)));
    expect(ids(...readBack.map((s) => s!))).toEqual(expected);
    const stored = (await backend.get(sessionIdHash(byJwt.id), now()))!;
    const { signedInWith: _, ...older } = JSON.parse(stored.principal) as Principal;
    await backend.save({ ...stored, principal: JSON.stringify(older) });
    expect(callerId((await restarted.get(byJwt.id))!.principal)).toBe("jwt:acme:alice");
  });

  test("storage sees only the id's hash; another instance on the same storage (a restart, another node) honours it", async () => {
    const { backend, session, now } = await setup();
    const stored = await backend.get(sessionIdHash(session.id), now());
    expect(stored).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain(session.id);
    const restarted = new SessionStore({ ttlMs: () => 60_000, idleMs: () => 60_000, now, backend });
    expect(await restarted.get(session.id)).toEqual(session);
    await restarted.end(session.id);
    expect(await restarted.get(session.id)).toBeUndefined();
  });
});
