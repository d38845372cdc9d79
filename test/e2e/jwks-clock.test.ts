/**
 * The JWKS of a gateway whose wall clock NTP steps back (libfaketime, skewed-clock.ts): a token
 * signed by a key the identity provider published after the step (a rotation) is verified once
 * `auth.jwt.jwks_cooldown` has passed on the gateway's own time, however its wall clock was
 * stepped (DEPLOYMENT.md, "Clocks"). The JWKS is a local server of the test's.
 */
import { afterAll, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayClockBack } from "./harness/gateway-clock.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

const ISSUER = "https://idp.test";
const AUDIENCE = "mindgw";
const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
/** Ten minutes ahead at the start; stepped back to the host's time by the test. */
const clock = steppableClock(clockDir.path, 600);

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const sign = () =>
    new SignJWT({ tenant: "default" })
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setSubject("alice")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 60)
      // Valid on the gateway's clock before the step (10 minutes ahead) and after it.
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(privateKey);
  return { jwk, sign };
}

let published: JWK[] = [];
const fx = gatewayFixture({
  fakeRoutes: false,
  env: clock.env,
  config: async (fakeUrl, { defer }) => {
    const jwks = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ keys: published }),
    });
    defer(() => jwks.stop(true));
    return fakeRoutesConfig(fakeUrl, ["m1"], {
      auth: {
        jwt: {
          jwks_url: `http://127.0.0.1:${jwks.port}/jwks.json`,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["RS256"],
          // Fetched again only for a key it does not hold, at most once a second.
          jwks_cooldown: "1s",
          jwks_cache_max_age: "1h",
          claims: { name: "sub", tenant: "tenant" },
        },
      },
    });
  },
});

async function status(token: string): Promise<number> {
  const response = await fetch(`${fx.gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(token),
    body: chatBody("m1"),
  });
  await response.arrayBuffer();
  return response.status;
}

test("a key the identity provider publishes after an NTP step back of 10 minutes verifies tokens within the JWKS cooldown, not 10 minutes later", async () => {
  const first = await signingKey("k1");
  published = [first.jwk];
  expect(await status(await first.sign())).toBe(200);
  await gatewayClockBack(clock, fx.gw.url);
  // The provider rotates its key: a token signed by the new one names a key the gateway does not hold.
  const second = await signingKey("k2");
  published = [first.jwk, second.jwk];
  const token = await second.sign();
  await waitFor("a token of the new key verified", async () => (await status(token)) === 200, 20_000, 300);
}, 60_000);
