import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { SignJWT } from "jose";
import { bearer } from "./harness/fake-config.ts";
import {
  AUDIENCE,
  b64,
  ISSUER,
  jwtGatewayFixture,
  now,
  sign,
  UNIFORM,
} from "./harness/jwt-gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// JWT through the binary (harness/jwt-gateway-fixture.ts): a JWKS served by a local server, valid
// tokens and claims mapped onto tenant, role and models, the attack list, and key rotation. A JWKS
// outage: auth-jwt-jwks-outage.test.ts; a JWT's tenant, subject, expiry and name beside API keys:
// auth-jwt-callers.test.ts.

const jwt = jwtGatewayFixture();
const { fx, idp, chat, status } = jwt;

describe("valid tokens", () => {
  test("a token signed by the JWKS key works as Bearer and as x-api-key", async () => {
    const token = await sign(jwt.k1);
    const res = await chat(token);
    expect(res.status).toBe(200);
    // JWT subjects get the limits the config gives them.
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1000");
    await res.arrayBuffer();
    const viaHeader = await fetch(`${fx.gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": token, "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(viaHeader.status).toBe(200);
    expect(((await viaHeader.json()) as { type: string }).type).toBe("message");
  });

  test("claims map to models: a token limited to m1 gets 404 on m2 and sees only m1", async () => {
    const token = await sign(jwt.k1, { claims: { models: ["m1"] } });
    expect(await status(token, "m1")).toBe(200);
    expect(await status(token, "m2")).toBe(404);
    const list = await fetch(`${fx.gw.url}/v1/models`, { headers: bearer(token) });
    expect(((await list.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(["m1"]);
    const spaced = await sign(jwt.k1, { claims: { models: "m2" } });
    expect(await status(spaced, "m1")).toBe(404);
    expect(await status(spaced, "m2")).toBe(200);
  });

  test("claims map to role: worker → 403 on model APIs; user → 403 on /admin/api; admin (not allowed) → 401", async () => {
    expect(await status(await sign(jwt.k1, { claims: { role: "worker" } }))).toBe(403);
    const user = await sign(jwt.k1, { claims: { role: "user" } });
    expect(await status(user)).toBe(200);
    const adminApi = await fetch(`${fx.gw.url}/admin/api/keys`, { headers: bearer(user) });
    expect(adminApi.status).toBe(403);
    await adminApi.arrayBuffer();
    expect(await status(await sign(jwt.k1, { claims: { role: "admin" } }))).toBe(401);
  });

  test("claims map to tenant: the audit row carries it", async () => {
    const token = await sign(jwt.k1, { claims: { tenant: "globex", sub: "tenant-probe" } });
    const res = await chat(token);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const row = await waitFor(
      "the audit row",
      async () => {
        const audit = await fetch(`${fx.gw.url}/admin/api/audit?key=tenant-probe`, {
          headers: bearer(jwt.admin),
        });
        const text = await audit.text();
        return text.includes("globex") ? text : undefined;
      },
      15_000,
    );
    expect(row).toContain("tenant-probe");
    expect(row).not.toContain(token);
  }, 30_000);
});

describe("the attack list: every one is the uniform 401", () => {
  test("alg none, HS256 with the public key, wrong aud/iss, expired, not yet valid, jku/x5u/jwk headers", async () => {
    const claims = { sub: "mallory", iss: ISSUER, aud: AUDIENCE, exp: now() + 600, iat: now() };
    const hsWithPublicKey = (secret: string) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: "HS256", kid: jwt.k1.kid, typ: "JWT" })
        .sign(new TextEncoder().encode(secret));
    const attacks: [string, string][] = [
      ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`],
      ["alg none with kid", `${b64({ alg: "none", kid: jwt.k1.kid })}.${b64(claims)}.`],
      ["alg None", `${b64({ alg: "None" })}.${b64(claims)}.`],
      ["HS256 signed with the RSA public key PEM", await hsWithPublicKey(jwt.k1.pem)],
      ["HS256 signed with the RSA public JWK", await hsWithPublicKey(JSON.stringify(jwt.k1.jwk))],
      ["wrong aud", await sign(jwt.k1, { aud: "someone-else" })],
      ["wrong iss", await sign(jwt.k1, { iss: "https://evil.test" })],
      ["expired", await sign(jwt.k1, { exp: now() - 3600 })],
      ["nbf in the future", await sign(jwt.k1, { nbf: now() + 3600 })],
      ["unknown kid", await sign(jwt.attacker)],
      ["right kid, wrong key", await sign({ ...jwt.attacker, kid: jwt.k1.kid })],
      [
        "jku to a bait server",
        await sign(jwt.attacker, { header: { jku: `http://127.0.0.1:${jwt.baitPort}/jwks.json` } }),
      ],
      [
        "jku with the trusted kid",
        await sign(
          { ...jwt.attacker, kid: jwt.k1.kid },
          { header: { jku: `http://127.0.0.1:${jwt.baitPort}/jwks.json` } },
        ),
      ],
      [
        "x5u to a bait server",
        await sign(jwt.attacker, { header: { x5u: `http://127.0.0.1:${jwt.baitPort}/cert.pem` } }),
      ],
      [
        "embedded jwk",
        await sign(jwt.attacker, {
          header: { jwk: { kty: "RSA", n: jwt.attacker.jwk.n, e: jwt.attacker.jwk.e } },
        }),
      ],
      ["tampered payload", (await sign(jwt.k1)).replace(/\.[^.]+\./, `.${b64({ ...claims, sub: "root" })}.`)],
      ["signature stripped", (await sign(jwt.k1)).replace(/\.[^.]+$/, ".")],
    ];
    for (const [name, token] of attacks) {
      for (const dialect of ["openai", "anthropic"] as const) {
        const res =
          dialect === "openai"
            ? await chat(token)
            : await fetch(`${fx.gw.url}/v1/messages`, {
                method: "POST",
                headers: bearer(token),
                body: JSON.stringify({
                  model: "m1",
                  max_tokens: 8,
                  messages: [{ role: "user", content: "hi" }],
                }),
              });
        const text = await res.text();
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
        expect(text).not.toContain(token);
        const body = JSON.parse(text) as { error: { message: string } };
        expect(body.error.message).toBe(UNIFORM);
        if (dialect === "anthropic") expect((body as unknown as { type: string }).type).toBe("error");
      }
    }
    expect(jwt.baitHits).toBe(0);
    // A valid token still works after the barrage (no lockout, no poisoned cache).
    expect(await status(await sign(jwt.k1))).toBe(200);
    expect(jwt.baitHits).toBe(0);
  }, 30_000);
});

describe("key rotation at the JWKS", () => {
  test("a new kid is picked up, and once the old kid is gone its tokens fail", async () => {
    const old = await sign(jwt.k1);
    expect(await status(old)).toBe(200);
    const hitsBefore = idp.hits;
    // The IdP rotates: k2 appears, k1 is removed.
    idp.published = [jwt.k2.jwk];
    const fresh = await sign(jwt.k2);
    await waitFor("the new kid to be accepted", async () => (await status(fresh)) === 200, 15_000);
    expect(idp.hits).toBeGreaterThan(hitsBefore);
    await waitFor("the removed kid to be refused", async () => (await status(old)) === 401, 15_000);
    expect(await status(await sign(jwt.k1))).toBe(401);
    expect(await status(await sign(jwt.k2))).toBe(200);
    expect(jwt.baitHits).toBe(0);
  }, 40_000);
});
