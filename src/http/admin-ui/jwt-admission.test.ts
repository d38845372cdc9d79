import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import * as crypto from "node:crypto";
import { jwksServer, sign, type TestKey, testKey } from "../../auth/jwt-test-kit.ts";
import { jwtVerifiers } from "../../auth/jwt-verifier.ts";
import { type JwtConfigInput, jwtConfigSchema } from "../../config/jwt-config.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { jwtAdmissionOf, jwtStillAdmits } from "./jwt-admission.ts";

const SECRET = "x".repeat(40);
const hmac = (overrides: Partial<JwtConfigInput> = {}) =>
  jwtConfigSchema.parse({
    secret: SECRET,
    issuer: "https://idp.test",
    audience: "mindgw",
    algorithms: ["HS256"],
    allowed_roles: ["admin", "user"],
    default_role: "admin",
    ...overrides,
  });
const admin = {
  keyId: null,
  name: "ops",
  tenant: "default",
  role: "admin" as const,
  models: ["*"],
  limits: {},
  via: "jwt" as const,
};
const noJwks = async () => false;

describe("jwtStillAdmits", () => {
  test("an edit of any setting that turns a token into rights ends its sessions; timings and a wider allowed_roles do not", async () => {
    const admission = await jwtAdmissionOf(hmac(), admin);
    const edits: Record<string, Partial<JwtConfigInput>> = {
      "default_role: user": { default_role: "user" },
      "claims.role": { claims: { name: "sub", role: "groups" } },
      default_tenant: { default_tenant: "acme" },
      default_models: { default_models: ["cheap-*"] },
      limits: { limits: { rpm: 1 } },
      typ: { typ: ["at+jwt"] },
      issuer: { issuer: "https://other.test" },
      secret: { secret: `${SECRET}-rotated` },
    };
    for (const [what, edit] of Object.entries(edits))
      expect({ what, admits: await jwtStillAdmits(hmac(edit), admission, noJwks) }).toEqual({
        what,
        admits: false,
      });
    const harmless: Partial<JwtConfigInput>[] = [
      { clock_tolerance: "5s", jwks_cooldown: "1m", jwks_timeout: "1s", jwks_cache_max_age: "1h" },
      { allowed_roles: ["admin", "user", "worker"] },
    ];
    for (const edit of harmless) expect(await jwtStillAdmits(hmac(edit), admission, noJwks)).toBe(true);
    expect(await jwtStillAdmits(undefined, admission, noJwks)).toBe(false);
  });

  test("admin left out of allowed_roles ends a session given admin, though nothing the fingerprint covers changed", async () => {
    // Given admin by its role claim, under a default_role of user that the edit keeps.
    const byClaim = hmac({ default_role: "user" });
    const admission = await jwtAdmissionOf(byClaim, admin);
    expect(await jwtStillAdmits(hmac({ default_role: "user" }), admission, noJwks)).toBe(true);
    const narrowed = hmac({ default_role: "user", allowed_roles: ["user"] });
    expect((await jwtAdmissionOf(narrowed, admin)).trust).toBe(admission.trust);
    expect(await jwtStillAdmits(narrowed, admission, noJwks)).toBe(false);
  });

  test("a fingerprint scrypt could not work out is not kept: the next sign-in works it out again", async () => {
    const fails = spyOn(crypto, "scrypt").mockImplementationOnce(((...args: unknown[]) => {
      const done = args.at(-1) as (error: Error) => void;
      done(new Error("scrypt: not enough memory"));
    }) as typeof crypto.scrypt);
    const config = hmac({ secret: `${SECRET}-refused-once` });
    try {
      await expect(jwtAdmissionOf(config, admin)).rejects.toThrow("not enough memory");
      expect((await jwtAdmissionOf(config, admin)).trust).toBeString();
      expect((await jwtAdmissionOf(hmac({ secret: `${SECRET}-refused-once` }), admin)).trust).toBeString();
    } finally {
      fails.mockRestore();
    }
  });

  test("the stored fingerprint of an HMAC secret is no fast test of a guessed secret", async () => {
    const { trust } = await jwtAdmissionOf(hmac(), admin);
    // What it was: an unsalted SHA-256 of the settings with the secret, reproduced from a guess.
    const guessed = (material: unknown) =>
      crypto.createHash("sha256").update(JSON.stringify(material)).digest("hex");
    expect(trust).not.toBe(guessed(["https://idp.test", "mindgw", ["HS256"], undefined, undefined, SECRET]));
    expect(JSON.stringify(await jwtAdmissionOf(hmac(), admin))).not.toContain(SECRET);
    // Still one fingerprint per secret: the same config again admits, another secret does not.
    expect((await jwtAdmissionOf(hmac(), admin)).trust).toBe(trust);
    expect((await jwtAdmissionOf(hmac({ secret: `${SECRET}-2` }), admin)).trust).not.toBe(trust);
  });
});

describe("a JWKS key withdrawn by the issuer", () => {
  let k1: TestKey;
  let k2: TestKey;
  beforeAll(async () => {
    [k1, k2] = await Promise.all([testKey("k1"), testKey("k2")]);
  });
  const servers: ReturnType<typeof jwksServer>[] = [];
  afterAll(() => {
    for (const server of servers) server.stop();
  });

  test("ends the sessions of the tokens it signed once the key set in hand no longer holds it, with no fetch per check", async () => {
    const server = jwksServer([k1.jwk, k2.jwk]);
    servers.push(server);
    let now = 1_000_000;
    const verifiers = jwtVerifiers({ now: () => now });
    const config = jwtConfigSchema.parse({
      jwks_url: server.url,
      issuer: "https://idp.test",
      audience: "mindgw",
      algorithms: ["RS256"],
      allowed_roles: ["admin", "user"],
      default_role: "admin",
      jwks_cache_max_age: "10m",
    });
    const verifier = verifiers(config, []);
    const byK1 = await verifier.verify(await sign(k1.privateKey, { kid: "k1" }));
    const byK2 = await verifier.verify(await sign(k2.privateKey, { kid: "k2" }));
    expect(byK1.jwtKey).toBeString();
    expect(byK1.jwtKey).not.toBe(byK2.jwtKey);
    const [leaked, kept] = [await jwtAdmissionOf(config, byK1), await jwtAdmissionOf(config, byK2)];
    expect(leaked.key).toBe(byK1.jwtKey as string);
    for (let i = 0; i < 3; i++) expect(await jwtStillAdmits(config, leaked, verifiers.keyHeld)).toBe(true);
    expect(server.hits()).toBe(1);
    server.setKeys([k2.jwk]); // the issuer withdraws k1
    now += 10 * 60_000; // the set in hand is stale: the next check refreshes it behind itself
    await waitForValue(
      "the session of k1's token to end",
      async () => !(await jwtStillAdmits(config, leaked, verifiers.keyHeld)),
    );
    expect(await jwtStillAdmits(config, kept, verifiers.keyHeld)).toBe(true);
    expect(server.hits()).toBe(2);
    // A session without the key that verified it (kept before it was) is not honoured under a JWKS.
    expect(await jwtStillAdmits(config, { trust: kept.trust, role: "admin" }, verifiers.keyHeld)).toBe(false);
  });
});
