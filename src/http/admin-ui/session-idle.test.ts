import { expect, test } from "bun:test";
import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { createMemoryAdminSessionStore } from "../../storage/memory/memory-admin-session-store.ts";
import { fakeClock } from "../../testing/fake-clock.ts";
import { sessionOf, withSessions } from "./session-auth.ts";
import { SessionStore } from "./session-store.ts";

// `admin_ui.session_idle_timeout`: a session ends once not used for it, use being a call that says
// `x-user-activity` (the page's after a keystroke or click), stored at most once a minute.

const admin: Principal = {
  keyId: "key_admin",
  name: "ops",
  role: "admin",
  tenant: "default",
  models: [],
  limits: {},
  via: "session",
};
const MINUTE = 60_000;

async function setup() {
  const clock = fakeClock(1_000_000);
  const backend = createMemoryAdminSessionStore();
  const touches: number[] = [];
  const touch = backend.touch.bind(backend);
  backend.touch = (idHash, at) => {
    touches.push(at);
    return touch(idHash, at);
  };
  const ui = { idleMs: 5 * MINUTE };
  const sessions = new SessionStore({
    ttlMs: () => 60 * MINUTE,
    idleMs: () => ui.idleMs,
    now: clock.now,
    backend,
  });
  const authenticate = withSessions(
    async () => {
      throw new Error("no credential header in these tests");
    },
    (principal) => principal,
    { sessions, enabled: () => true, ssoAllowed: () => false },
  );
  const session = await sessions.create(admin, "key");
  const call = (used: boolean) =>
    authenticate(
      new Headers({
        cookie: `mindgw_session=${session.id}`,
        "x-csrf-token": session.csrf,
        ...(used ? { "x-user-activity": "1" } : {}),
      }),
    );
  return { clock, sessions, session, call, touches, ui };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof GatewayError ? error : undefined),
  );

test("calls without x-user-activity (the page's polling) keep no session: it ends idle, saying so, for good", async () => {
  const { clock, call, touches, ui, sessions, session } = await setup();
  clock.advance(4 * MINUTE);
  expect(await call(false)).toMatchObject({ name: "ops" });
  clock.advance(MINUTE);
  const ended = await refusal(call(false));
  expect(ended).toMatchObject({
    status: 401,
    detail: "session_idle",
    headers: { "x-session-ended": "idle" },
  });
  expect(ended?.message).toBe("invalid or missing credentials");
  expect(touches).toEqual([]);
  // Ended, not idle for as long as the config says: a reload that lengthens the timeout brings it back no more.
  ui.idleMs = 60 * MINUTE;
  expect(await sessions.get(session.id)).toBeUndefined();
  expect(await refusal(call(true))).toMatchObject({ status: 401, detail: "unknown_session" });
});

test("a call with x-user-activity moves the idle end on, stored at most once a minute", async () => {
  const { clock, call, touches } = await setup();
  const start = clock.now();
  await call(true); // at sign-in: nothing to store yet
  clock.advance(4 * MINUTE);
  await call(true);
  clock.advance(30_000);
  await call(true); // within the minute: no write
  expect(touches).toEqual([start + 4 * MINUTE]);
  clock.advance(4 * MINUTE); // eight and a half minutes after sign-in, four and a half after the use stored
  expect(await call(false)).toMatchObject({ name: "ops" });
  clock.advance(MINUTE);
  expect(await refusal(call(false))).toMatchObject({ detail: "session_idle" });
});

test("a reload that shortens the timeout applies to the sessions open", async () => {
  const { clock, call, ui } = await setup();
  clock.advance(3 * MINUTE);
  expect(await call(false)).toMatchObject({ name: "ops" });
  ui.idleMs = 2 * MINUTE;
  expect(await refusal(call(false))).toMatchObject({ detail: "session_idle" });
});

test("/admin/auth/session records a use it is told of only with the session's CSRF token, and says the idle end it moved", async () => {
  const { clock, sessions, session, touches } = await setup();
  const options = { sessions, enabled: () => true, ssoAllowed: () => false };
  const ask = (headers: Record<string, string>) =>
    sessionOf(new Headers({ cookie: `mindgw_session=${session.id}`, ...headers }), options);
  clock.advance(4 * MINUTE);
  // Another site's request carries the cookie and the mark, but not the token: no use.
  await ask({ "x-user-activity": "1" });
  await ask({ "x-user-activity": "1", "x-csrf-token": "a-guess" });
  expect(touches).toEqual([]);
  const marked = await ask({ "x-user-activity": "1", "x-csrf-token": session.csrf });
  expect(touches).toEqual([clock.now()]);
  expect(typeof marked === "object" && sessions.idleEndsIn(marked)).toBe(5 * MINUTE);
  clock.advance(4 * MINUTE);
  expect(typeof (await ask({})) === "object").toBe(true);
});

test("an embedder's store that gives rows without usedAt (JavaScript, or a row cast): read as its sign-in, so the session still idles and its ends are numbers", async () => {
  const clock = fakeClock(1_000_000);
  const backend = createMemoryAdminSessionStore();
  const get = backend.get.bind(backend);
  backend.get = async (idHash, now) => {
    const row = await get(idHash, now);
    if (!row) return row;
    const { usedAt: _dropped, ...withoutUsedAt } = row;
    return withoutUsedAt as typeof row;
  };
  const sessions = new SessionStore({
    ttlMs: () => 60 * MINUTE,
    idleMs: () => 5 * MINUTE,
    now: clock.now,
    backend,
  });
  const session = await sessions.create(admin, "key");
  clock.advance(2 * MINUTE);
  const found = await sessions.get(session.id);
  expect(found?.usedAt).toBe(session.createdAt);
  if (!found) throw new Error("the session is open two minutes in");
  expect(sessions.idleEndsIn(found)).toBe(3 * MINUTE);
  expect(sessions.endsIn(found)).toBe(3 * MINUTE);
  clock.advance(3 * MINUTE);
  expect(await sessions.find(session.id)).toBe("idle");
});
