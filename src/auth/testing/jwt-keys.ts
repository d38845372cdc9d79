import { afterAll, beforeAll } from "bun:test";
import { type JwtConfigInput, jwtConfigSchema } from "../../config/jwt-config.ts";
import { AUDIENCE, ISSUER, jwksServer, type TestKey, testKey } from "../jwt-test-kit.ts";

/**
 * The keys and JWKS servers the jwt-*.test.ts files verify against, made in the file's `beforeAll`
 * (so read them as `keys.k1` when a test runs): k1 and k2 on `jwks`, and an attacker's key under
 * k1's kid on a JWKS of its own, `evil`. `config` is a verifier's config on `jwks`.
 */
export function jwtKeys() {
  const keys = {} as {
    k1: TestKey;
    k2: TestKey;
    attacker: TestKey;
    jwks: ReturnType<typeof jwksServer>;
    evil: ReturnType<typeof jwksServer>;
  };
  beforeAll(async () => {
    [keys.k1, keys.k2, keys.attacker] = await Promise.all([testKey("k1"), testKey("k2"), testKey("k1")]);
    keys.jwks = jwksServer([keys.k1.jwk]);
    keys.evil = jwksServer([keys.attacker.jwk]);
  });
  afterAll(() => {
    keys.jwks.stop();
    keys.evil.stop();
  });
  const config = (overrides: Partial<JwtConfigInput> = {}) =>
    jwtConfigSchema.parse({
      jwks_url: keys.jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["RS256"],
      ...overrides,
    });
  return { keys, config };
}

/** Seconds since the epoch, `offset` from now: a claim's time. */
export const secs = (offset: number) => Math.floor(Date.now() / 1000) + offset;
