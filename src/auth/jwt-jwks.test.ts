import { describe, expect, test } from "bun:test";
import type { JWK } from "jose";
import { calculateJwkThumbprint } from "jose";
import type { JwtConfigInput } from "../config/jwt-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { jwksServer, sign } from "./jwt-test-kit.ts";
import { createJwtVerifier, jwtVerifiers } from "./jwt-verifier.ts";
import { jwtKeys, secs } from "./testing/jwt-keys.ts";

// The JWKS a verifier holds: when it is fetched again, and what of a fetched one it keeps (keys it
// cannot read, a key rotated, a kid reused).
const { keys, config } = jwtKeys();

describe("the JWKS in hand", () => {
  /** A verifier on its own JWKS endpoint, with a clock the test moves. */
  function setup(overrides: Partial<JwtConfigInput> = {}) {
    const server = jwksServer([keys.k1.jwk]);
    let now = 1_000_000;
    const failures: string[] = [];
    const verifier = createJwtVerifier(
      config({ jwks_url: server.url, jwks_cache_max_age: "5s", jwks_timeout: "60s", ...overrides }),
      { now: () => now, onFetchFailed: (reason) => failures.push(reason) },
    );
    const token = sign(keys.k1.privateKey, { kid: "k1" });
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
    const rotated = await sign(keys.k2.privateKey, { kid: "k2" });
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

    server.setKeys([keys.k1.jwk, keys.k2.jwk]);
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
    const server = jwksServer([keys.k1.jwk, keys.k2.jwk]);
    const time = clock();
    const failures: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onFetchFailed: (reason) => failures.push(reason),
    });
    const byK1 = await sign(keys.k1.privateKey, { kid: "k1" });
    const byK2 = await sign(keys.k2.privateKey, { kid: "k2" });
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
    const server = jwksServer([keys.k1.jwk]);
    const time = clock();
    const failures: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onFetchFailed: (reason) => failures.push(reason),
    });
    const byK1 = await sign(keys.k1.privateKey, { kid: "k1" });
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
    server.setKeys([keys.k1.jwk]);
    time.advance(30_000);
    expect((await verifier.verify(byK1)).name).toBe("bob");
    expect(server.hits()).toBe(3);
    server.stop();
  });

  test("broken keys beside good ones are logged once per set, not at every refresh that brings it again", async () => {
    const server = jwksServer([keys.k1.jwk, broken("k2")]);
    const time = clock();
    const dropped: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url, jwks_cache_max_age: "5s" }), {
      now: time.now,
      onKeyDropped: (key) => dropped.push(key.kid),
    });
    const byK1 = await sign(keys.k1.privateKey, { kid: "k1" });
    await verifier.verify(byK1);
    expect(dropped).toEqual(["k2"]);
    time.advance(6_000);
    await verifier.verify(byK1); // stale: the same set fetched again behind this request
    await waitForValue("the second fetch", () => server.hits() >= 2);
    server.setKeys([keys.k1.jwk, broken("k3")]);
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
    const server = jwksServer([
      keys.k1.jwk,
      broken("k2"),
      { kty: "EC", kid: "no-curve", x: "AA" },
      keys.k2.jwk,
    ]);
    const dropped: string[] = [];
    const verifier = createJwtVerifier(config({ jwks_url: server.url }), {
      onKeyDropped: (key) => dropped.push(key.kid),
    });
    expect((await verifier.verify(await sign(keys.k1.privateKey, { kid: "k1" }))).name).toBe("bob");
    expect(dropped).toEqual(["k2", "no-curve"]);
    // The good k2 after the broken one of the same kid is the one taken.
    expect((await verifier.verify(await sign(keys.k2.privateKey, { kid: "k2" }))).name).toBe("bob");
    server.stop();
  });

  test("a token without kid is tried against each key of its type (a rotation publishes two)", async () => {
    const server = jwksServer([keys.k1.jwk, keys.k2.jwk]);
    const verifier = createJwtVerifier(config({ jwks_url: server.url }));
    expect((await verifier.verify(await sign(keys.k1.privateKey, {}))).name).toBe("bob");
    // Named by the key that verified it, the second tried.
    expect(await verifier.verify(await sign(keys.k2.privateKey, {}))).toMatchObject({
      name: "bob",
      jwtKey: await calculateJwkThumbprint(keys.k2.jwk),
    });
    // Signed by neither: the signature's failure, not the set's ambiguity.
    await expect(verifier.verify(await sign(keys.attacker.privateKey, {}))).rejects.toMatchObject({
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
    // The key that verifies decides: its token's expired claims are refused as such.
    await expect(
      verifier.verify(await sign(keys.k2.privateKey, {}, { exp: secs(-600) })),
    ).rejects.toMatchObject({
      code: "ERR_JWT_EXPIRED",
    });
    server.stop();
  });

  test("a verifier rebuilt for a reload keeps the keys in hand while jwks_url stays, with the new timings", async () => {
    const server = jwksServer([keys.k1.jwk]);
    const time = clock();
    const verifierFor = jwtVerifiers({ now: time.now });
    const token = await sign(keys.k1.privateKey, { kid: "k1" });
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
    const other = jwksServer([keys.k1.jwk]);
    await verifierFor(config({ jwks_url: other.url }), []).verify(token);
    expect(other.hits()).toBe(1);
    server.stop();
    other.stop();
  });
});
