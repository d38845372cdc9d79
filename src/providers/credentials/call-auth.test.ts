import { expect, test } from "bun:test";
import { CachedCredential } from "./cached-credential.ts";
import { bearerAuth, sendAuthorized, staticAuth } from "./call-auth.ts";

/** A token endpoint that hands out token-1, token-2, … for an hour each, on `clock`; `issued` counts them. */
const tokens = (clock = { now: 0 }) => {
  const state = { issued: 0 };
  const credential = new CachedCredential({
    now: () => clock.now,
    fetch: async () => ({ value: `token-${++state.issued}`, expiresAt: clock.now + 3_600_000 }),
  });
  return Object.assign(credential, { state });
};

test("a 401 drops the bearer token and sends the call once more with a fresh one", async () => {
  const clock = { now: 0 };
  const auth = bearerAuth(tokens(clock));
  await auth.headers();
  // token-1 is a minute old when it is refused (revoked meanwhile).
  clock.now = 60_000;
  const sent: string[] = [];
  const refusedFirst = async (headers: Record<string, string>) => {
    sent.push(headers.authorization ?? "");
    return new Response(null, { status: sent.length === 1 ? 401 : 200 });
  };
  expect((await sendAuthorized(auth, refusedFirst)).status).toBe(200);
  expect(sent).toEqual(["Bearer token-1", "Bearer token-2"]);
  // Refused again with the fresh token: no third send, and the 401 is the answer.
  const always401 = async (headers: Record<string, string>) => {
    sent.push(headers.authorization ?? "");
    return { status: 401 };
  };
  expect((await sendAuthorized(auth, always401)).status).toBe(401);
  expect(sent.slice(2)).toEqual(["Bearer token-2"]);
});

test("401s that no fresh token mends (Azure's PermissionDenied: a role missing) make one send a call and a bounded number of token fetches, not one a call", async () => {
  const clock = { now: 0 };
  const source = tokens(clock);
  const auth = bearerAuth(source);
  let sends = 0;
  const always401 = async () => {
    sends += 1;
    return { status: 401 };
  };
  // 200 calls over ten minutes, one every three seconds.
  for (let i = 0; i < 200; i++) {
    expect((await sendAuthorized(auth, always401)).status).toBe(401);
    clock.now += 3_000;
  }
  // A token is given another try once it is 30 s old: at most one fetch in 30 s, one send a call.
  expect(source.state.issued).toBeLessThanOrEqual(1 + (200 * 3_000) / 30_000);
  expect(sends).toBeLessThanOrEqual(200 + source.state.issued);
});

test("a static key is not sent again; a wrapped answer is read through answerOf", async () => {
  let calls = 0;
  const reply = await sendAuthorized(staticAuth({ "api-key": "k" }), async () => {
    calls += 1;
    return { status: 401 };
  });
  expect([reply.status, calls]).toEqual([401, 1]);
  const clock = { now: 0 };
  const auth = bearerAuth(tokens(clock));
  await auth.headers();
  clock.now = 60_000;
  const wrapped = await sendAuthorized(
    auth,
    async (headers) => ({
      kind: "http",
      response: { status: headers.authorization === "Bearer token-1" ? 401 : 200 },
    }),
    (answer) => answer.response,
  );
  expect(wrapped.response.status).toBe(200);
});
