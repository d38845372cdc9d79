import { describe, expect, test } from "bun:test";
import type { JWK } from "jose";
import type { JwtConfigInput } from "../config/jwt-config.ts";
import { jwtConfigSchema } from "../config/jwt-config.ts";
import { AUDIENCE, ISSUER, sign, unsigned } from "./jwt-test-kit.ts";
import { createJwtVerifier } from "./jwt-verifier.ts";
import { jwtKeys, secs } from "./testing/jwt-keys.ts";

// The JWT attack list: every forged, confused or expired token is refused.
const { keys, config } = jwtKeys();

describe("JWT attack list", () => {
  const rejects = async (token: string, overrides: Partial<JwtConfigInput> = {}, code?: string) => {
    const verdict = expect(createJwtVerifier(config(overrides)).verify(token)).rejects;
    await (code ? verdict.toMatchObject({ code }) : verdict.toThrow());
  };
  const NOT_ALLOWED = "ERR_JOSE_ALG_NOT_ALLOWED";
  const CLAIM = "ERR_JWT_CLAIM_VALIDATION_FAILED";

  test("alg none", async () => {
    await rejects(unsigned({}), {}, NOT_ALLOWED);
    await rejects(unsigned({}), { algorithms: ["RS256", "ES256"] }, NOT_ALLOWED);
  });

  test("HS256 signed with the RSA public key PEM as the secret", async () => {
    const forged = await sign(new TextEncoder().encode(keys.k1.pem), { alg: "HS256", kid: "k1" });
    await rejects(forged, {}, NOT_ALLOWED);
    await rejects(forged, { jwks_url: undefined, public_key: keys.k1.pem }, NOT_ALLOWED);
  });

  test("wrong audience, wrong issuer", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { aud: "someone-else" }), {}, CLAIM);
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { iss: "https://evil.test" }), {}, CLAIM);
  });

  test("no issuer or no audience claim at all", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { iss: undefined }), {}, CLAIM);
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { aud: undefined }), {}, CLAIM);
  });

  test("expired beyond the clock tolerance; accepted within it", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { exp: secs(-31) }), {}, "ERR_JWT_EXPIRED");
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }, { exp: secs(-20) }));
  });

  test("not yet valid beyond the clock tolerance; accepted within it", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { nbf: secs(120) }), {}, CLAIM);
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }, { nbf: secs(20) }));
  });

  test("a token without exp never passes", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { exp: undefined }), {}, CLAIM);
  });

  test("a token of another type, or of none, is not an access token", async () => {
    await rejects(await sign(keys.k1.privateKey, { kid: "k1", typ: "logout+jwt" }));
    await rejects(await sign(keys.k1.privateKey, { kid: "k1", typ: "dpop+jwt" }));
    await rejects(await sign(keys.k1.privateKey, { kid: "k1", typ: undefined }));
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1", typ: "application/AT+JWT" }));
    await rejects(await sign(keys.k1.privateKey, { kid: "k1", typ: "JWT" }), { typ: ["at+jwt"] });
  });

  test("a typo in the JWT config is an error, not a silently dropped mapping", () => {
    const result = jwtConfigSchema.safeParse({
      jwks_url: keys.jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["RS256"],
      claims: { rol: "role" },
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("rol");
  });

  test("jku and x5u are never followed, and an embedded jwk is not trusted", async () => {
    const before = keys.evil.hits();
    const header = { kid: "k1", jku: keys.evil.url, x5u: keys.evil.url, jwk: keys.attacker.jwk as JWK };
    await rejects(await sign(keys.attacker.privateKey, { kid: "k1", jku: keys.evil.url }));
    await rejects(await sign(keys.attacker.privateKey, { kid: "k1", x5u: keys.evil.url }));
    await rejects(await sign(keys.attacker.privateKey, header));
    await rejects(await sign(keys.attacker.privateKey, header), {
      jwks_url: undefined,
      public_key: keys.k1.pem,
    });
    expect(keys.evil.hits()).toBe(before);
  });

  test("an admin role claim is refused unless admin is explicitly allowed", async () => {
    const token = await sign(keys.k1.privateKey, { kid: "k1" }, { role: "admin" });
    await rejects(token, { claims: { name: "sub", role: "role" } });
    const open = createJwtVerifier(
      config({ claims: { name: "sub", role: "role" }, allowed_roles: ["admin", "user"] }),
    );
    expect((await open.verify(token)).role).toBe("admin");
    await rejects(await sign(keys.k1.privateKey, { kid: "k1" }, { role: "root" }), {
      claims: { name: "sub", role: "role" },
    });
  });
});
