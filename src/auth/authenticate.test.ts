import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jwtConfigSchema } from "../config/jwt-config.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { openSqliteStorage, type SqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { cachedCaller, createAuthenticator } from "./authenticate.ts";
import { AUDIENCE, ISSUER, jwksServer, sign, type TestKey, testKey } from "./jwt-test-kit.ts";
import { createJwtVerifier } from "./jwt-verifier.ts";
import { createKeyAdmin, type IssuedKey } from "./key-admin.ts";
import { KeyCache } from "./key-cache.ts";
import { principalNowOr } from "./known-principal.ts";
import type { Principal } from "./principal.ts";

const tmp = tempDir();
let storage: SqliteStorage;
let cache: KeyCache;
let key: IssuedKey;
let signer: TestKey;
let jwks: ReturnType<typeof jwksServer>;

beforeAll(async () => {
  storage = openSqliteStorage(tmp.file("auth.db"));
  cache = new KeyCache({ store: storage.keys, refreshMs: 0 });
  key = await createKeyAdmin({ store: storage.keys }).create("local-operator", { name: "alice" });
  signer = await testKey("k1");
  jwks = jwksServer([signer.jwk]);
});
afterAll(async () => {
  jwks.stop();
  await storage.close();
  tmp.cleanup();
});

const withJwt = () =>
  createAuthenticator({
    keys: cache,
    jwt: createJwtVerifier(
      jwtConfigSchema.parse({
        jwks_url: jwks.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["RS256"],
        claims: { name: "sub", role: "role" },
      }),
    ),
  });

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe("authenticate", () => {
  test("a cached key is answered with its cache entry's settled promise: none made a request", async () => {
    const auth = createAuthenticator({ keys: cache });
    const headers = new Headers({ authorization: `Bearer ${key.key}` });
    const first = auth(headers);
    expect((await first).name).toBe("alice");
    const again = auth(headers);
    expect(again).toBe(auth(headers));
    expect((await again).name).toBe("alice");
  });

  test("a cached key's answer carries its caller: the front door goes on without an await", async () => {
    const auth = createAuthenticator({ keys: cache });
    const headers = new Headers({ authorization: `Bearer ${key.key}` });
    await auth(headers);
    const now = principalNowOr(auth(headers));
    expect(now).not.toBeInstanceOf(Promise);
    expect((now as Principal).name).toBe("alice");
    // Any other answer (an embedder's authenticator, a JWT's verification) is awaited as before.
    const other = Promise.resolve(now as Principal);
    expect(principalNowOr(other)).toBe(other);
  });

  test("cachedCaller names the caller of a key the cache holds, and asks no store for any other", async () => {
    const unread = new KeyCache({
      store: { ...storage.keys, getByHash: () => Promise.reject(new Error("no store read here")) },
      refreshMs: 0,
    });
    const named = cachedCaller(unread);
    const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });
    // Not cached (nor read for it): none.
    expect(named(bearer(key.key))).toBeUndefined();
    expect(named(new Headers())).toBeUndefined();
    expect(named(bearer(await sign(signer.privateKey, { kid: "k1" })))).toBeUndefined();
    // Cached on this node (once used), by Bearer or x-api-key alike.
    await cache.resolve(key.key);
    expect(cachedCaller(cache)(bearer(key.key))?.name).toBe("alice");
    expect(cachedCaller(cache)(new Headers({ "x-api-key": key.key }))?.name).toBe("alice");
  });

  test("Bearer and x-api-key both carry an API key", async () => {
    const auth = createAuthenticator({ keys: cache });
    expect((await auth(new Headers({ authorization: `Bearer ${key.key}` }))).name).toBe("alice");
    expect((await auth(new Headers({ authorization: `bearer  ${key.key}` }))).name).toBe("alice");
    // The scheme in any case, and any run of white space after it.
    expect((await auth(new Headers({ authorization: `BEARER\t \t${key.key}` }))).name).toBe("alice");
    expect((await auth(new Headers({ "x-api-key": key.key }))).name).toBe("alice");
    // A non-bearer Authorization (e.g. Basic from a proxy) does not hide x-api-key.
    expect((await auth(new Headers({ authorization: "Basic Zm9vOmJhcg==", "x-api-key": key.key }))).via).toBe(
      "key",
    );
  });

  test("Authorization: Bearer and x-api-key both sent and differing: the Bearer is the credential, a bad one refused beside a good x-api-key", async () => {
    const auth = createAuthenticator({ keys: cache });
    const other = `${key.key.slice(0, -1)}${key.key.endsWith("x") ? "y" : "x"}`;
    const refused = await refusal(
      auth(new Headers({ authorization: `Bearer ${other}`, "x-api-key": key.key })),
    );
    expect([refused.status, refused.detail]).toEqual([401, "unknown_key"]);
    // The other way about, the good Bearer is read and the bad x-api-key never looked at.
    expect((await auth(new Headers({ authorization: `Bearer ${key.key}`, "x-api-key": other }))).name).toBe(
      "alice",
    );
  });

  test("a bearer JWT goes to the verifier", async () => {
    const token = await sign(signer.privateKey, { kid: "k1" });
    const principal = await withJwt()(new Headers({ authorization: `Bearer ${token}` }));
    expect(principal).toMatchObject({ via: "jwt", name: "bob", keyId: null });
  });

  test("every failure is the same 401 and never echoes the credential", async () => {
    const auth = withJwt();
    const record = await storage.keys.getById(key.id);
    const forged = await sign(signer.privateKey, { kid: "k1" }, { aud: "other" });
    const attempts = [
      new Headers(),
      new Headers({ authorization: "Bearer" }),
      new Headers({ authorization: "Basic abc" }),
      new Headers({ authorization: `Bearer ${record?.hash}` }),
      new Headers({ authorization: `Bearer mgw_${record?.hash}` }),
      // The real key with its last character changed (to one it is not: keys are random).
      new Headers({ authorization: `Bearer ${key.key.slice(0, -1)}${key.key.endsWith("x") ? "y" : "x"}` }),
      new Headers({ "x-api-key": "sk-not-ours" }),
      new Headers({ authorization: `Bearer ${forged}` }),
      new Headers({ authorization: "Bearer a.b.c" }),
      new Headers({ authorization: `Bearer ${"x".repeat(10_000)}` }),
    ];
    const details: Array<string | undefined> = [];
    for (const headers of attempts) {
      const error = await refusal(auth(headers));
      expect([error.status, error.code, error.message]).toEqual([
        401,
        "unauthorized",
        "invalid or missing credentials",
      ]);
      const token = headers.get("authorization")?.replace(/^\w+\s*/, "") ?? headers.get("x-api-key") ?? "";
      if (token.length > 3) expect(JSON.stringify({ ...error, message: error.message })).not.toContain(token);
      details.push(`${error.detail} ${error.headers["x-should-retry"] ?? "-"}`);
    }
    // Why, for the log line alone: the client saw the same answer each time.
    // For good (`x-should-retry: false`: the SDKs and Claude Code do not send the same credential
    // again) but for a refused JWT, which a refreshed token or a re-read JWKS may pass.
    expect(details).toEqual([
      "missing false",
      "missing false",
      "missing false",
      "malformed false",
      "unknown_key false",
      "unknown_key false",
      "malformed false",
      "jwt_invalid: ERR_JWT_CLAIM_VALIDATION_FAILED (aud) -",
      "jwt_invalid: ERR_JWS_INVALID -",
      "malformed false",
    ]);
  });

  test("a revoked key is refused for good: the 401 says not to retry", async () => {
    const admin = createKeyAdmin({ store: storage.keys, onChange: (record) => cache.onKeyChanged(record) });
    const revoked = await admin.create("local-operator", { name: "gone" });
    const auth = createAuthenticator({ keys: cache });
    expect((await auth(new Headers({ "x-api-key": revoked.key }))).name).toBe("gone");
    await admin.revoke("local-operator", revoked.id);
    const error = await refusal(auth(new Headers({ "x-api-key": revoked.key })));
    expect([error.status, error.detail, error.headers]).toEqual([
      401,
      "unknown_key",
      { "x-should-retry": "false" },
    ]);
  });

  test("a JWT's refusal says which check failed: expiry, a claim, the role mapping", async () => {
    const auth = withJwt();
    const detailOf = async (claims: Record<string, unknown>) =>
      (
        await refusal(
          auth(
            new Headers({ authorization: `Bearer ${await sign(signer.privateKey, { kid: "k1" }, claims)}` }),
          ),
        )
      ).detail;
    const now = Math.floor(Date.now() / 1000);
    expect(await detailOf({ exp: now - 600 })).toBe("jwt_invalid: ERR_JWT_EXPIRED (exp)");
    expect(await detailOf({ iss: "https://elsewhere.test" })).toBe(
      "jwt_invalid: ERR_JWT_CLAIM_VALIDATION_FAILED (iss)",
    );
    expect(await detailOf({ role: "admin" })).toBe("jwt_invalid: role claim not allowed");
  });

  test("an expired JWT's 401 may be retried: Claude Code runs its apiKeyHelper again for a fresh token", async () => {
    const auth = withJwt();
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(signer.privateKey, { kid: "k1" }, { exp: now - 60 });
    const error = await refusal(auth(new Headers({ authorization: `Bearer ${expired}` })));
    expect([error.status, error.detail, error.headers]).toEqual([
      401,
      "jwt_invalid: ERR_JWT_EXPIRED (exp)",
      {},
    ]);
    // The fresh token passes.
    const fresh = await sign(signer.privateKey, { kid: "k1" }, { exp: now + 600 });
    expect((await auth(new Headers({ authorization: `Bearer ${fresh}` }))).name).toBe("bob");
  });

  test("a token of a kid the JWKS in hand lacks, within jwks_cooldown, may be retried: the set is read again after it", async () => {
    const auth = withJwt();
    // The set is read (k1), so a new kid now falls within the cooldown.
    await auth(new Headers({ authorization: `Bearer ${await sign(signer.privateKey, { kid: "k1" })}` }));
    const rotated = await testKey("k-new");
    const error = await refusal(
      auth(new Headers({ authorization: `Bearer ${await sign(rotated.privateKey, { kid: "k-new" })}` })),
    );
    expect([error.status, error.detail?.startsWith("jwt_invalid"), error.headers]).toEqual([401, true, {}]);
  });

  test("a JWT where the gateway verifies none is refused without x-should-retry: a reload may configure auth.jwt", async () => {
    const token = await sign(signer.privateKey, { kid: "k1" });
    const error = await refusal(createAuthenticator({ keys: cache })(new Headers({ "x-api-key": token })));
    expect([error.detail, error.headers]).toEqual(["jwt_disabled", {}]);
  });

  test("a key store that fails is a 503 storage_unavailable, not the 401 of a bad key", async () => {
    const failing = new KeyCache({
      store: {
        ...storage.keys,
        getByHash: () => Promise.reject(new Error("connection reset by the embedder's database")),
      },
      refreshMs: 0,
    });
    const error = await refusal(
      createAuthenticator({ keys: failing })(new Headers({ "x-api-key": key.key })),
    );
    expect([error.status, error.code, error.retryable]).toEqual([503, "storage_unavailable", true]);
    // The key may be good: a client retries this one.
    expect(error.headers["x-should-retry"]).toBeUndefined();
    expect(error.detail).toBe("key lookup failed: Error: connection reset by the embedder's database");
    expect(error.message).not.toContain("connection reset");
  });

  test("JWT-shaped tokens are refused when no verifier is configured", async () => {
    const token = await sign(signer.privateKey, { kid: "k1" });
    const error = await refusal(createAuthenticator({ keys: cache })(new Headers({ "x-api-key": token })));
    expect(error.status).toBe(401);
  });
});
