import { describe, expect, test } from "bun:test";
import { calculateJwkThumbprint, decodeJwt } from "jose";
import { jwtConfigSchema } from "../config/jwt-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { AUDIENCE, ISSUER, jwksServer, sign } from "./jwt-test-kit.ts";
import { createJwtVerifier } from "./jwt-verifier.ts";
import { limitSubject } from "./principal.ts";
import { jwtKeys } from "./testing/jwt-keys.ts";

// A JWT verified against a JWKS or static keys, and the jwt config's checks. The JWKS in hand and
// what a fetched one holds: jwt-jwks.test.ts; the attacks refused: jwt-attacks.test.ts.
const { keys, config } = jwtKeys();

describe("JWT verification against a JWKS", () => {
  test("a good token maps claims onto a principal", async () => {
    const verifier = createJwtVerifier(
      config({ claims: { name: "email", tenant: "org", role: "mgw.role", models: "models" } }),
    );
    const token = await sign(
      keys.k1.privateKey,
      { kid: "k1" },
      {
        email: "bob@acme.test",
        org: "acme",
        mgw: { role: "worker" },
        models: "gpt-*, llama-*",
      },
    );
    expect(await verifier.verify(token)).toEqual({
      // Its sessions end when the token stops being accepted: exp plus the clock tolerance (30 s).
      expiresAt: ((decodeJwt(token).exp ?? 0) + 30) * 1000,
      keyId: null,
      name: "bob@acme.test",
      tenant: "acme",
      role: "worker",
      models: ["gpt-*", "llama-*"],
      limits: {},
      via: "jwt",
      // The JWKS key that verified it, for a web UI session to end once the issuer withdraws it.
      jwtKey: await calculateJwkThumbprint(keys.k1.jwk),
    });
  });

  test("defaults apply when claims are absent", async () => {
    const verifier = createJwtVerifier(config({ limits: { rpm: 10 } }));
    const principal = await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }));
    expect(principal).toMatchObject({ name: "bob", tenant: "default", role: "user", models: ["*"] });
    expect(principal.limits).toEqual({ rpm: 10 });
  });

  test("a tenant claim that is no tenant name (a list, a number, empty, null) is refused, not taken for none", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }));
    for (const org of [["team-a"], 42, "", null, { name: "team-a" }]) {
      const refused = await verifier
        .verify(await sign(keys.k1.privateKey, { kid: "k1" }, { org }))
        .catch((e) => e);
      expect({ org, refused }).toMatchObject({ org, refused: { name: "ClaimError" } });
      expect((refused as Error).message).toBe("org claim is not a tenant name");
    }
    // No claim at all is the config's default tenant; without `tenants:` any name is a free label.
    expect((await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }))).tenant).toBe("default");
    expect(
      (await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }, { org: "Team-A" }))).tenant,
    ).toBe("Team-A");
  });

  test("tenant claims that would spell one subject id with their names are two callers", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }));
    const as = async (org: string, sub: string) =>
      limitSubject(await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }, { org, sub })));
    expect(await as("acme:alice", "bob")).toBe("jwt:acme%3Aalice:bob");
    expect(await as("acme", "alice:bob")).toBe("jwt:acme:alice:bob");
  });

  test("once tenants are configured, a tenant claim must name one of them (not default either)", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }), {}, ["team-a"]);
    const as = async (org: unknown) =>
      verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }, { org }));
    expect((await as("team-a")).tenant).toBe("team-a");
    for (const org of ["Team-A", "team-b", "default"])
      await expect(as(org)).rejects.toThrow(`org claim names no configured tenant: "${org}"`);
    // What the log gets of a long claim is cut.
    await expect(as("x".repeat(500))).rejects.toThrow(`"${"x".repeat(64)}"`);
    // A token without the claim is in default_tenant, as the operator configured it.
    expect((await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }))).tenant).toBe("default");
  });

  test("key rotation: a new kid triggers one refetch; the old kid keeps working", async () => {
    const server = jwksServer([keys.k1.jwk]);
    // The least cooldown, passed on the key source's clock (less is refused: no guard against kid floods).
    let now = 1_000_000;
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cooldown: "1s" }), {
      now: () => now,
    });
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }));
    expect(server.hits()).toBe(1);
    server.setKeys([keys.k1.jwk, keys.k2.jwk]);
    now += 1000;
    await verifier.verify(await sign(keys.k2.privateKey, { kid: "k2" }));
    expect(server.hits()).toBe(2);
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }));
    expect(server.hits()).toBe(2);
    server.stop();
  });

  test("refetch on unknown kid is rate-limited by the cooldown", async () => {
    const server = jwksServer([keys.k1.jwk]);
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cooldown: "30s" }));
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }));
    for (let i = 0; i < 5; i++) {
      const token = await sign(keys.k2.privateKey, { kid: `unknown-${i}` });
      await expect(verifier.verify(token)).rejects.toThrow();
    }
    expect(server.hits()).toBe(1);
    server.stop();
  });

  test("a JWKS endpoint that hangs before any set was had is a 503 within the fetch timeout", async () => {
    const server = jwksServer([keys.k1.jwk], { hang: true });
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_timeout: "200ms" }));
    const token = await sign(keys.k1.privateKey, { kid: "k1" });
    const refused = await verifier.verify(token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 503, code: "unavailable", retryable: true });
    expect((refused as GatewayError).detail).toContain("TimeoutError");
    server.stop();
  });
});

describe("static keys", () => {
  test("an SPKI public key verifies RS256", async () => {
    const verifier = createJwtVerifier(config({ jwks_url: undefined, public_key: keys.k2.pem }));
    expect((await verifier.verify(await sign(keys.k2.privateKey, {}))).name).toBe("bob");
    await expect(verifier.verify(await sign(keys.k1.privateKey, {}))).rejects.toThrow();
  });

  test("an HMAC secret verifies HS256 and nothing asymmetric", async () => {
    const secret = "s".repeat(40);
    const verifier = createJwtVerifier(config({ jwks_url: undefined, secret, algorithms: ["HS256"] }));
    const good = await sign(new TextEncoder().encode(secret), { alg: "HS256" });
    const principal = await verifier.verify(good);
    expect(principal.name).toBe("bob");
    // auth.jwt's own key: no thumbprint to keep.
    expect("jwtKey" in principal).toBe(false);
    await expect(verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }))).rejects.toThrow();
  });
});

describe("jwt config", () => {
  const base = { issuer: ISSUER, audience: AUDIENCE };
  const issues = (input: Record<string, unknown>) => {
    const result = jwtConfigSchema.safeParse({ ...base, ...input });
    return result.success ? [] : result.error.issues.map((i) => i.message);
  };

  test("HS/RS mixing is refused at load time", () => {
    // (The PEM is no key, which is its own problem: jwt-public-key.test.ts.)
    expect(issues({ public_key: "-----BEGIN PUBLIC KEY-----", algorithms: ["RS256", "HS256"] })).toContain(
      "HS256 needs a secret; HMAC algorithms are not allowed with a public key",
    );
    expect(issues({ secret: "s".repeat(40), algorithms: ["RS256"] })).toEqual([
      "RS256 needs a public key or jwks_url, not a secret",
    ]);
  });

  test("exactly one key source, an allow-list, issuer and audience", () => {
    expect(issues({ algorithms: ["RS256"] })).toContain("set exactly one of jwks_url, public_key, secret");
    expect(issues({ jwks_url: "https://idp.test/jwks", algorithms: [] }).length).toBe(1);
    expect(
      jwtConfigSchema.safeParse({ jwks_url: "https://idp.test/jwks", algorithms: ["RS256"] }).success,
    ).toBe(false);
    expect(issues({ jwks_url: "https://idp.test/jwks", algorithms: ["none"] }).length).toBe(1);
  });

  test("default_tenant is a tenant name, not empty (an empty tenant claim is refused too)", () => {
    const valid = { jwks_url: "https://idp.test/jwks", algorithms: ["RS256"] };
    expect(issues({ ...valid, default_tenant: "" })).toEqual(["a tenant name, not empty"]);
    expect(issues({ ...valid, default_tenant: "acme" })).toEqual([]);
  });

  test("default_tenant holds no ':' or '%', which every claimless caller's id would write escaped", () => {
    const valid = { jwks_url: "https://idp.test/jwks", algorithms: ["RS256"] };
    const refused =
      "no ':' or '%' (callers' ids, jwt:<tenant>:<name>, write them %3A and %25): a name such as corp-eu";
    for (const tenant of ["corp:eu", "50%", "a%3Ab"])
      expect(issues({ ...valid, default_tenant: tenant })).toEqual([refused]);
    expect(issues({ ...valid, default_tenant: "corp-eu.1_a" })).toEqual([]);
  });

  test("JWKS over plain http only on loopback; default role must be allowed", () => {
    expect(issues({ jwks_url: "http://idp.test/jwks", algorithms: ["RS256"] })).toEqual([
      "jwks_url must be https (plain http only on loopback)",
    ]);
    expect(
      issues({ jwks_url: "https://idp.test/jwks", algorithms: ["RS256"], default_role: "admin" }),
    ).toEqual(["default_role must be in allowed_roles"]);
  });
});
