import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { calculateJwkThumbprint, decodeJwt, type JWK } from "jose";
import { type JwtConfigInput, jwtConfigSchema } from "../config/jwt-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { AUDIENCE, ISSUER, jwksServer, sign, type TestKey, testKey, unsigned } from "./jwt-test-kit.ts";
import { createJwtVerifier, jwtVerifiers } from "./jwt-verifier.ts";
import { limitSubject } from "./principal.ts";

let k1: TestKey;
let k2: TestKey;
let attacker: TestKey;
let jwks: ReturnType<typeof jwksServer>;
let evil: ReturnType<typeof jwksServer>;

beforeAll(async () => {
  [k1, k2, attacker] = await Promise.all([testKey("k1"), testKey("k2"), testKey("k1")]);
  jwks = jwksServer([k1.jwk]);
  evil = jwksServer([attacker.jwk]);
});
afterAll(() => {
  jwks.stop();
  evil.stop();
});

const config = (overrides: Partial<JwtConfigInput> = {}) =>
  jwtConfigSchema.parse({
    jwks_url: jwks.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ["RS256"],
    ...overrides,
  });
const secs = (offset: number) => Math.floor(Date.now() / 1000) + offset;

describe("JWT verification against a JWKS", () => {
  test("a good token maps claims onto a principal", async () => {
    const verifier = createJwtVerifier(
      config({ claims: { name: "email", tenant: "org", role: "mgw.role", models: "models" } }),
    );
    const token = await sign(
      k1.privateKey,
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
      jwtKey: await calculateJwkThumbprint(k1.jwk),
    });
  });

  test("defaults apply when claims are absent", async () => {
    const verifier = createJwtVerifier(config({ limits: { rpm: 10 } }));
    const principal = await verifier.verify(await sign(k1.privateKey, { kid: "k1" }));
    expect(principal).toMatchObject({ name: "bob", tenant: "default", role: "user", models: ["*"] });
    expect(principal.limits).toEqual({ rpm: 10 });
  });

  test("a tenant claim that is no tenant name (a list, a number, empty, null) is refused, not taken for none", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }));
    for (const org of [["team-a"], 42, "", null, { name: "team-a" }]) {
      const refused = await verifier
        .verify(await sign(k1.privateKey, { kid: "k1" }, { org }))
        .catch((e) => e);
      expect({ org, refused }).toMatchObject({ org, refused: { name: "ClaimError" } });
      expect((refused as Error).message).toBe("org claim is not a tenant name");
    }
    // No claim at all is the config's default tenant; without `tenants:` any name is a free label.
    expect((await verifier.verify(await sign(k1.privateKey, { kid: "k1" }))).tenant).toBe("default");
    expect((await verifier.verify(await sign(k1.privateKey, { kid: "k1" }, { org: "Team-A" }))).tenant).toBe(
      "Team-A",
    );
  });

  test("tenant claims that would spell one subject id with their names are two callers", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }));
    const as = async (org: string, sub: string) =>
      limitSubject(await verifier.verify(await sign(k1.privateKey, { kid: "k1" }, { org, sub })));
    expect(await as("acme:alice", "bob")).toBe("jwt:acme%3Aalice:bob");
    expect(await as("acme", "alice:bob")).toBe("jwt:acme:alice:bob");
  });

  test("once tenants are configured, a tenant claim must name one of them (not default either)", async () => {
    const verifier = createJwtVerifier(config({ claims: { name: "sub", tenant: "org" } }), {}, ["team-a"]);
    const as = async (org: unknown) => verifier.verify(await sign(k1.privateKey, { kid: "k1" }, { org }));
    expect((await as("team-a")).tenant).toBe("team-a");
    for (const org of ["Team-A", "team-b", "default"])
      await expect(as(org)).rejects.toThrow(`org claim names no configured tenant: "${org}"`);
    // What the log gets of a long claim is cut.
    await expect(as("x".repeat(500))).rejects.toThrow(`"${"x".repeat(64)}"`);
    // A token without the claim is in default_tenant, as the operator configured it.
    expect((await verifier.verify(await sign(k1.privateKey, { kid: "k1" }))).tenant).toBe("default");
  });

  test("key rotation: a new kid triggers one refetch; the old kid keeps working", async () => {
    const server = jwksServer([k1.jwk]);
    // The least cooldown, passed on the key source's clock (less is refused: no guard against kid floods).
    let now = 1_000_000;
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cooldown: "1s" }), {
      now: () => now,
    });
    await verifier.verify(await sign(k1.privateKey, { kid: "k1" }));
    expect(server.hits()).toBe(1);
    server.setKeys([k1.jwk, k2.jwk]);
    now += 1000;
    await verifier.verify(await sign(k2.privateKey, { kid: "k2" }));
    expect(server.hits()).toBe(2);
    await verifier.verify(await sign(k1.privateKey, { kid: "k1" }));
    expect(server.hits()).toBe(2);
    server.stop();
  });

  test("refetch on unknown kid is rate-limited by the cooldown", async () => {
    const server = jwksServer([k1.jwk]);
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cooldown: "30s" }));
    await verifier.verify(await sign(k1.privateKey, { kid: "k1" }));
    for (let i = 0; i < 5; i++) {
      const token = await sign(k2.privateKey, { kid: `unknown-${i}` });
      await expect(verifier.verify(token)).rejects.toThrow();
    }
    expect(server.hits()).toBe(1);
    server.stop();
  });

  test("a JWKS endpoint that hangs before any set was had is a 503 within the fetch timeout", async () => {
    const server = jwksServer([k1.jwk], { hang: true });
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_timeout: "200ms" }));
    const token = await sign(k1.privateKey, { kid: "k1" });
    const refused = await verifier.verify(token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 503, code: "unavailable", retryable: true });
    expect((refused as GatewayError).detail).toContain("TimeoutError");
    server.stop();
  });
});

describe("the JWKS in hand", () => {
  /** A verifier on its own JWKS endpoint, with a clock the test moves. */
  function setup(overrides: Partial<JwtConfigInput> = {}) {
    const server = jwksServer([k1.jwk]);
    let now = 1_000_000;
    const failures: string[] = [];
    const verifier = createJwtVerifier(
      config({ jwks_url: server.url, jwks_cache_max_age: "5s", jwks_timeout: "60s", ...overrides }),
      { now: () => now, onFetchFailed: (reason) => failures.push(reason) },
    );
    const token = sign(k1.privateKey, { kid: "k1" });
    return {
      server,
      failures,
      verify: async () => verifier.verify(await token),
      verifyToken: (other: string) => verifier.verify(other),
      advance: (ms: number) => {
        now += ms;
      },
    };
  }
  const fetchesReach = (server: { hits(): number }, n: number) =>
    waitForValue(`${n} JWKS fetches`, () => server.hits() === n);

  test("a fresh set serves every request: ten requests, one fetch", async () => {
    const { server, verify } = setup();
    for (let i = 0; i < 10; i++) expect((await verify()).name).toBe("bob");
    expect(server.hits()).toBe(1);
    server.stop();
  });

  test("a stale set keeps serving while the JWKS is down or hangs; one refresh at a time, behind the requests", async () => {
    const { server, verify, advance, failures } = setup();
    await verify();
    advance(6_000);
    server.setMode("down");
    for (let i = 0; i < 3; i++) expect((await verify()).name).toBe("bob");
    await fetchesReach(server, 2); // the first stale request's refresh, which failed
    // The server counts the fetch before the verifier has read its 503: wait for the verifier.
    expect(await waitForValue("the failed refresh reported", () => failures[0])).toBe(
      "Error: the JWKS answered 503",
    );
    expect(failures).toHaveLength(1);
    for (let i = 0; i < 3; i++) await verify();
    expect(server.hits()).toBe(2); // backing off: not asked again per request

    advance(1_000);
    server.setMode("hang");
    // The refresh hangs (for up to jwks_timeout, 60 s): requests are answered meanwhile.
    const answers = await Promise.all([verify(), verify(), verify()]);
    expect(answers.map((p) => p.name)).toEqual(["bob", "bob", "bob"]);
    await fetchesReach(server, 3);
    await verify();
    expect(server.hits()).toBe(3); // the hanging fetch is the one in flight
    server.stop();
  });

  test("with no set yet, a JWKS that is down is a 503 with Retry-After, asked again only after a backoff", async () => {
    const { server, verify, advance } = setup();
    server.setMode("down");
    const first = await verify().catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 503, retryable: true, headers: { "retry-after": "1" } });
    expect((first as GatewayError).detail).toBe("jwks unavailable: Error: the JWKS answered 503");
    await expect(verify()).rejects.toMatchObject({ status: 503 });
    expect(server.hits()).toBe(1);
    advance(1_000);
    await expect(verify()).rejects.toMatchObject({ status: 503, headers: { "retry-after": "2" } });
    expect(server.hits()).toBe(2);
    server.setMode("ok");
    advance(2_000);
    expect((await verify()).name).toBe("bob");
    expect(server.hits()).toBe(3);
    server.stop();
  });

  test("an unknown kid is refetched once per cooldown: a failing refetch is a 503, a good one still without it the token's 401", async () => {
    const { server, verifyToken, verify, advance } = setup({ jwks_cooldown: "30s" });
    await verify();
    const rotated = await sign(k2.privateKey, { kid: "k2" });
    const notFound = { code: "ERR_JWKS_NO_MATCHING_KEY" };
    await expect(verifyToken(rotated)).rejects.toMatchObject(notFound);
    expect(server.hits()).toBe(1); // within the cooldown: not asked

    advance(31_000);
    server.setMode("down");
    await expect(verifyToken(rotated)).rejects.toMatchObject({ status: 503 });
    expect(server.hits()).toBe(2);
    advance(1_000);
    server.setMode("ok");
    const stillUnknown = await verifyToken(rotated).catch((e: unknown) => e);
    expect(stillUnknown).not.toBeInstanceOf(GatewayError);
    expect(stillUnknown).toMatchObject(notFound);
    expect(server.hits()).toBe(3);

    server.setKeys([k1.jwk, k2.jwk]);
    advance(31_000);
    expect((await verifyToken(rotated)).name).toBe("bob");
    server.stop();
  });
});

describe("what a fetched JWKS holds", () => {
  /** k1's public key with its modulus broken, as the auditor's JWKS served it. */
  const broken = (kid: string): JWK => ({ kty: "RSA", kid, n: "!!", e: "AQAB", alg: "RS256" });
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  test("a set whose keys cannot be imported is a failed fetch: the keys in hand keep serving, the failure names them", async () => {
    const server = jwksServer([k1.jwk, k2.jwk]);
    const time = clock();
    const failures: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onFetchFailed: (reason) => failures.push(reason),
    });
    const byK1 = await sign(k1.privateKey, { kid: "k1" });
    const byK2 = await sign(k2.privateKey, { kid: "k2" });
    await verifier.verify(byK1);
    server.setKeys([broken("k1")]);
    time.advance(6_000);
    await verifier.verify(byK1); // stale: its refresh runs behind this request
    expect(await waitForValue("the refresh's failure", () => failures[0])).toStartWith(
      "Error: the JWKS holds no usable key (k1: ",
    );
    expect((await verifier.verify(byK1)).name).toBe("bob");
    expect((await verifier.verify(byK2)).name).toBe("bob");
    expect(server.hits()).toBe(2); // backing off, as after any failed fetch
    server.stop();
  });

  test("a set the issuer empties (keys: []) is its word: every token refused until it publishes a key again", async () => {
    const server = jwksServer([k1.jwk]);
    const time = clock();
    const failures: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onFetchFailed: (reason) => failures.push(reason),
    });
    const byK1 = await sign(k1.privateKey, { kid: "k1" });
    await verifier.verify(byK1);
    // Every key revoked at once (a leaked one, say).
    server.setKeys([]);
    time.advance(6_000);
    await verifier.verify(byK1); // stale: its refresh runs behind this request
    const refused = await waitForValue("the emptied set in hand", () =>
      verifier.verify(byK1).then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(refused).toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
    expect(failures).toEqual([]);
    expect(server.hits()).toBe(2);
    // Published again: the kid unknown past the cooldown is asked for, and found.
    server.setKeys([k1.jwk]);
    time.advance(30_000);
    expect((await verifier.verify(byK1)).name).toBe("bob");
    expect(server.hits()).toBe(3);
    server.stop();
  });

  test("broken keys beside good ones are logged once per set, not at every refresh that brings it again", async () => {
    const server = jwksServer([k1.jwk, broken("k2")]);
    const time = clock();
    const dropped: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onKeyDropped: (key) => dropped.push(key.kid),
    });
    const byK1 = await sign(k1.privateKey, { kid: "k1" });
    await verifier.verify(byK1);
    expect(dropped).toEqual(["k2"]);
    time.advance(6_000);
    await verifier.verify(byK1); // stale: the same set fetched again behind this request
    await waitForValue("the second fetch", () => server.hits() >= 2);
    server.setKeys([k1.jwk, broken("k3")]);
    // Refreshed until the new set is in hand: fetches run one at a time, so the second has landed
    // by then (had it logged k2 again, it would show), and each fetch after it brings the new set.
    await waitForValue("the new set's broken key", async () => {
      time.advance(6_000);
      await verifier.verify(byK1);
      return dropped.includes("k3");
    });
    expect(dropped).toEqual(["k2", "k3"]);
    server.stop();
  });

  test("a set with broken keys beside good ones: the good ones serve, each broken one is logged", async () => {
    const server = jwksServer([k1.jwk, broken("k2"), { kty: "EC", kid: "no-curve", x: "AA" }, k2.jwk]);
    const dropped: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url }), {
      onKeyDropped: (key) => dropped.push(key.kid),
    });
    expect((await verifier.verify(await sign(k1.privateKey, { kid: "k1" }))).name).toBe("bob");
    expect(dropped).toEqual(["k2", "no-curve"]);
    // The good k2 after the broken one of the same kid is the one taken.
    expect((await verifier.verify(await sign(k2.privateKey, { kid: "k2" }))).name).toBe("bob");
    server.stop();
  });

  test("a token without kid is tried against each key of its type (a rotation publishes two)", async () => {
    const server = jwksServer([k1.jwk, k2.jwk]);
    const verifier = createJwtVerifier(config({ jwks_url: server.url }));
    expect((await verifier.verify(await sign(k1.privateKey, {}))).name).toBe("bob");
    // Named by the key that verified it, the second tried.
    expect(await verifier.verify(await sign(k2.privateKey, {}))).toMatchObject({
      name: "bob",
      jwtKey: await calculateJwkThumbprint(k2.jwk),
    });
    // Signed by neither: the signature's failure, not the set's ambiguity.
    await expect(verifier.verify(await sign(attacker.privateKey, {}))).rejects.toMatchObject({
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
    // The key that verifies decides: its token's expired claims are refused as such.
    await expect(verifier.verify(await sign(k2.privateKey, {}, { exp: secs(-600) }))).rejects.toMatchObject({
      code: "ERR_JWT_EXPIRED",
    });
    server.stop();
  });

  test("a verifier rebuilt for a reload keeps the keys in hand while jwks_url stays, with the new timings", async () => {
    const server = jwksServer([k1.jwk]);
    const time = clock();
    const verifierFor = jwtVerifiers({ now: time.now });
    const token = await sign(k1.privateKey, { kid: "k1" });
    await verifierFor(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), []).verify(token);
    server.setMode("down");
    const edited = verifierFor(
      config({ jwks_url: server.url, jwks_cache_max_age: "1h", limits: { rpm: 6 } }),
      [],
    );
    time.advance(6_000);
    expect((await edited.verify(token)).limits).toEqual({ rpm: 6 });
    expect(server.hits()).toBe(1); // fresh for an hour now: not asked
    // Another URL is another issuer's set: fetched anew.
    const other = jwksServer([k1.jwk]);
    await verifierFor(config({ jwks_url: other.url }), []).verify(token);
    expect(other.hits()).toBe(1);
    server.stop();
    other.stop();
  });
});

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
    const forged = await sign(new TextEncoder().encode(k1.pem), { alg: "HS256", kid: "k1" });
    await rejects(forged, {}, NOT_ALLOWED);
    await rejects(forged, { jwks_url: undefined, public_key: k1.pem }, NOT_ALLOWED);
  });

  test("wrong audience, wrong issuer", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { aud: "someone-else" }), {}, CLAIM);
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { iss: "https://evil.test" }), {}, CLAIM);
  });

  test("no issuer or no audience claim at all", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { iss: undefined }), {}, CLAIM);
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { aud: undefined }), {}, CLAIM);
  });

  test("expired beyond the clock tolerance; accepted within it", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { exp: secs(-31) }), {}, "ERR_JWT_EXPIRED");
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(k1.privateKey, { kid: "k1" }, { exp: secs(-20) }));
  });

  test("not yet valid beyond the clock tolerance; accepted within it", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { nbf: secs(120) }), {}, CLAIM);
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(k1.privateKey, { kid: "k1" }, { nbf: secs(20) }));
  });

  test("a token without exp never passes", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { exp: undefined }), {}, CLAIM);
  });

  test("a token of another type, or of none, is not an access token", async () => {
    await rejects(await sign(k1.privateKey, { kid: "k1", typ: "logout+jwt" }));
    await rejects(await sign(k1.privateKey, { kid: "k1", typ: "dpop+jwt" }));
    await rejects(await sign(k1.privateKey, { kid: "k1", typ: undefined }));
    const verifier = createJwtVerifier(config());
    await verifier.verify(await sign(k1.privateKey, { kid: "k1", typ: "application/AT+JWT" }));
    await rejects(await sign(k1.privateKey, { kid: "k1", typ: "JWT" }), { typ: ["at+jwt"] });
  });

  test("a typo in the JWT config is an error, not a silently dropped mapping", () => {
    const result = jwtConfigSchema.safeParse({
      jwks_url: jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["RS256"],
      claims: { rol: "role" },
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("rol");
  });

  test("jku and x5u are never followed, and an embedded jwk is not trusted", async () => {
    const before = evil.hits();
    const header = { kid: "k1", jku: evil.url, x5u: evil.url, jwk: attacker.jwk as JWK };
    await rejects(await sign(attacker.privateKey, { kid: "k1", jku: evil.url }));
    await rejects(await sign(attacker.privateKey, { kid: "k1", x5u: evil.url }));
    await rejects(await sign(attacker.privateKey, header));
    await rejects(await sign(attacker.privateKey, header), { jwks_url: undefined, public_key: k1.pem });
    expect(evil.hits()).toBe(before);
  });

  test("an admin role claim is refused unless admin is explicitly allowed", async () => {
    const token = await sign(k1.privateKey, { kid: "k1" }, { role: "admin" });
    await rejects(token, { claims: { name: "sub", role: "role" } });
    const open = createJwtVerifier(
      config({ claims: { name: "sub", role: "role" }, allowed_roles: ["admin", "user"] }),
    );
    expect((await open.verify(token)).role).toBe("admin");
    await rejects(await sign(k1.privateKey, { kid: "k1" }, { role: "root" }), {
      claims: { name: "sub", role: "role" },
    });
  });
});

describe("static keys", () => {
  test("an SPKI public key verifies RS256", async () => {
    const verifier = createJwtVerifier(config({ jwks_url: undefined, public_key: k2.pem }));
    expect((await verifier.verify(await sign(k2.privateKey, {}))).name).toBe("bob");
    await expect(verifier.verify(await sign(k1.privateKey, {}))).rejects.toThrow();
  });

  test("an HMAC secret verifies HS256 and nothing asymmetric", async () => {
    const secret = "s".repeat(40);
    const verifier = createJwtVerifier(config({ jwks_url: undefined, secret, algorithms: ["HS256"] }));
    const good = await sign(new TextEncoder().encode(secret), { alg: "HS256" });
    const principal = await verifier.verify(good);
    expect(principal.name).toBe("bob");
    // auth.jwt's own key: no thumbprint to keep.
    expect("jwtKey" in principal).toBe(false);
    await expect(verifier.verify(await sign(k1.privateKey, { kid: "k1" }))).rejects.toThrow();
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
