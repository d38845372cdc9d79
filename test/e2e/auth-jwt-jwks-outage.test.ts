import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { AUDIENCE, ISSUER, jwtGatewayFixture, sign } from "./harness/jwt-gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// JWT through the binary (harness/jwt-gateway-fixture.ts, split from auth-jwt.test.ts): a JWKS
// that is down or hangs, with a set in hand, across a reload, and with none ever fetched.

const jwt = jwtGatewayFixture();
const { fx, idp, chat, status, releaseHung } = jwt;

/**
 * Calls with `token` until the JWKS is asked again (a refresh behind the answers), and returns the
 * status of every call on the way: asserted once by the test, whatever number of calls it took.
 */
async function answersUntilRefresh(what: string, token: string): Promise<number[]> {
  const from = idp.hits;
  const answers: number[] = [];
  await waitFor(what, async () => {
    answers.push(await status(token));
    return idp.hits > from;
  });
  return answers;
}
/** Each answer not a 200: none, where nobody may be refused. */
const refused = (answers: number[]) => answers.filter((code) => code !== 200);

describe("a JWKS outage", () => {
  test("with a set in hand, a JWKS that is down or hangs refuses nobody and is asked again in the background, not per request", async () => {
    fx.deferTest(() => {
      idp.mode = "ok";
      releaseHung();
    });
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    const token = await sign(jwt.k1);
    await waitFor("a token of a published key to pass", async () => (await status(token)) === 200);
    idp.mode = "down";
    // Each answer is immediate; once the set is stale (1 s) a request starts a refresh behind it.
    expect(refused(await answersUntilRefresh("a refresh while the JWKS is down", token))).toEqual([]);
    const before = idp.hits;
    const answers = await Promise.all(Array.from({ length: 10 }, () => status(token)));
    expect(refused(answers)).toEqual([]);
    expect(idp.hits - before).toBeLessThanOrEqual(1); // backing off after the failure
    idp.mode = "hang";
    expect(refused(await answersUntilRefresh("a refresh that hangs", token))).toEqual([]);
    expect(await status(token)).toBe(200); // answered while that fetch is still open
  }, 40_000);

  test("a reload that edits auth.jwt keeps the keys in hand: with the JWKS down, the new limits apply and nobody is refused", async () => {
    fx.deferTest(() => {
      idp.mode = "ok";
    });
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    const token = await sign(jwt.k1);
    await waitFor("a token of a published key to pass", async () => (await status(token)) === 200);
    idp.mode = "down";
    const reloads = () => fx.gw.stderr.all.split("config reloaded").length - 1;
    const before = reloads();
    await fx.gw.writeConfig(jwt.configWith({ ...jwt.startJwt, limits: { rpm: 999 } }));
    await waitFor("the reload", () => reloads() > before);
    const edited = await chat(token);
    expect(edited.status).toBe(200);
    expect(edited.headers.get("x-ratelimit-limit-requests")).toBe("999");
    await edited.arrayBuffer();
    // Past the set's max age (1 s) too: its refresh fails behind the requests, the set serves.
    expect(refused(await answersUntilRefresh("a refresh of the kept set", token))).toEqual([]);
    await fx.gw.writeConfig(jwt.configWith(jwt.startJwt));
    await waitFor("the config back", () => reloads() > before + 1);
  }, 40_000);

  test("with no set ever fetched, a JWKS that is down is a 503 with Retry-After in the caller's dialect", async () => {
    const config = fakeRoutesConfig(fx.fake.url, ["m1"], {
      auth: {
        jwt: {
          jwks_url: `http://127.0.0.1:${jwt.jwksPort}/down.json`,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["RS256"],
        },
      },
    });
    const down = await fx.spawn({ config });
    const token = await sign(jwt.k1);
    const openai = await fetch(`${down.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(token),
      body: chatBody("m1"),
    });
    expect(openai.status).toBe(503);
    expect(Number(openai.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await openai.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    const anthropic = await fetch(`${down.url}/v1/messages`, {
      method: "POST",
      headers: { ...bearer(token), "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m1", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(503);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
  }, 40_000);
});
