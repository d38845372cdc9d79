import { expect, test } from "bun:test";
import { CachedCredential } from "./cached-credential.ts";
import { bearerAuth, sendAuthorized, staticAuth } from "./call-auth.ts";

/** A token endpoint that hands out token-1, token-2, … for an hour each. */
const tokens = () => {
  let issued = 0;
  return new CachedCredential({
    fetch: async () => ({ value: `token-${++issued}`, expiresAt: Date.now() + 3_600_000 }),
  });
};

test("a 401 drops the bearer token and sends the call once more with a fresh one", async () => {
  const auth = bearerAuth(tokens());
  const sent: string[] = [];
  const refusedFirst = async (headers: Record<string, string>) => {
    sent.push(headers.authorization ?? "");
    return new Response(null, { status: sent.length === 1 ? 401 : 200 });
  };
  expect((await sendAuthorized(auth, refusedFirst)).status).toBe(200);
  expect(sent).toEqual(["Bearer token-1", "Bearer token-2"]);
  // Refused again with the fresh token: sent twice, no more, and the 401 is the answer.
  const always401 = async (headers: Record<string, string>) => {
    sent.push(headers.authorization ?? "");
    return { status: 401 };
  };
  expect((await sendAuthorized(auth, always401)).status).toBe(401);
  expect(sent.slice(2)).toEqual(["Bearer token-2", "Bearer token-3"]);
});

test("a static key is not sent again; a wrapped answer is read through answerOf", async () => {
  let calls = 0;
  const reply = await sendAuthorized(staticAuth({ "api-key": "k" }), async () => {
    calls += 1;
    return { status: 401 };
  });
  expect([reply.status, calls]).toEqual([401, 1]);
  const wrapped = await sendAuthorized(
    bearerAuth(tokens()),
    async (headers) => ({
      kind: "http",
      response: { status: headers.authorization === "Bearer token-1" ? 401 : 200 },
    }),
    (answer) => answer.response,
  );
  expect(wrapped.response.status).toBe(200);
});
