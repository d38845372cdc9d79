import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { auditRecords, auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { requestIdOf, spawnTail, untilListening } from "./harness/spawn-tail.ts";
import { spawnWorker, waitForWorkers } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// JWT through the binary: a JWKS served by a local server (with key rotation), the attack
// list, and claims mapped onto tenant, role and models.

const ISSUER = "https://idp.test";
const AUDIENCE = "mindgw";
const UNIFORM = "invalid or missing credentials";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
    pem: await exportSPKI(publicKey),
  };
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
}

function sign(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ tenant: "acme", ...options.claims })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT", ...options.header })
    .setSubject(String(options.claims?.sub ?? "alice"))
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key.privateKey);
}

let gw: GatewayProcess;
let admin: string;
let k1: SigningKey;
let k2: SigningKey;
let attacker: SigningKey;
let published: JWK[] = [];
let jwksHits = 0;
/** How the JWKS answers: its keys, a 503, or only once `releaseHung` is called. */
let jwksMode: "ok" | "down" | "hang" = "ok";
const hung: Array<() => void> = [];
const releaseHung = () => {
  for (const release of hung.splice(0)) release();
};
let jwks: ReturnType<typeof Bun.serve>;
// Stands in for an attacker's server named by `jku` / `x5u`: it must never be called.
let bait: ReturnType<typeof Bun.serve>;
let baitHits = 0;
/** The gateway's `auth.jwt` at start; a test's reload edits a copy. */
let startJwt: Record<string, unknown>;
/** The whole config for an `auth.jwt` (tenants acme and globex configured). */
let configWith: (jwt: Record<string, unknown>) => object;

const chat = (token: string, model = "m1") =>
  fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: bearer(token), body: chatBody(model) });

async function status(token: string, model = "m1"): Promise<number> {
  const res = await chat(token, model);
  await res.arrayBuffer();
  return res.status;
}

const fx = gatewayFixture({
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, defer }) => {
    [k1, k2, attacker] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("attacker")]);
    published = [k1.jwk];
    jwks = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/down.json") return new Response("down", { status: 503 });
        if (path !== "/jwks.json") return new Response("no", { status: 404 });
        jwksHits++;
        if (jwksMode === "down") return new Response("down", { status: 503 });
        if (jwksMode === "hang")
          return new Promise<Response>((resolve) =>
            hung.push(() => resolve(Response.json({ keys: published }))),
          );
        return Response.json({ keys: published });
      },
    });
    defer(() => jwks.stop(true));
    bait = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch() {
        baitHits++;
        return Response.json({ keys: [attacker.jwk] });
      },
    });
    defer(() => bait.stop(true));
    startJwt = {
      jwks_url: `http://127.0.0.1:${jwks.port}/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["RS256"],
      clock_tolerance: "5s",
      jwks_cooldown: "1s",
      jwks_cache_max_age: "1s",
      claims: { name: "sub", tenant: "tenant", role: "role", models: "models" },
      limits: { rpm: 1000 },
    };
    configWith = (jwt) =>
      fakeRoutesConfig(fake.url, ["m1", "m2"], {
        tenants: [{ name: "acme" }, { name: "globex" }],
        auth: { jwt },
      });
    return configWith(startJwt);
  },
});

beforeAll(async () => {
  gw = fx.gw;
  admin = gw.adminKey ?? "";
}, 30_000);

describe("valid tokens", () => {
  test("a token signed by the JWKS key works as Bearer and as x-api-key", async () => {
    const token = await sign(k1);
    const res = await chat(token);
    expect(res.status).toBe(200);
    // JWT subjects get the limits the config gives them.
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1000");
    await res.arrayBuffer();
    const viaHeader = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": token, "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(viaHeader.status).toBe(200);
    expect(((await viaHeader.json()) as { type: string }).type).toBe("message");
  });

  test("claims map to models: a token limited to m1 gets 404 on m2 and sees only m1", async () => {
    const token = await sign(k1, { claims: { models: ["m1"] } });
    expect(await status(token, "m1")).toBe(200);
    expect(await status(token, "m2")).toBe(404);
    const list = await fetch(`${gw.url}/v1/models`, { headers: bearer(token) });
    expect(((await list.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(["m1"]);
    const spaced = await sign(k1, { claims: { models: "m2" } });
    expect(await status(spaced, "m1")).toBe(404);
    expect(await status(spaced, "m2")).toBe(200);
  });

  test("claims map to role: worker → 403 on model APIs; user → 403 on /admin/api; admin (not allowed) → 401", async () => {
    expect(await status(await sign(k1, { claims: { role: "worker" } }))).toBe(403);
    const user = await sign(k1, { claims: { role: "user" } });
    expect(await status(user)).toBe(200);
    const adminApi = await fetch(`${gw.url}/admin/api/keys`, { headers: bearer(user) });
    expect(adminApi.status).toBe(403);
    await adminApi.arrayBuffer();
    expect(await status(await sign(k1, { claims: { role: "admin" } }))).toBe(401);
  });

  test("claims map to tenant: the audit row carries it", async () => {
    const token = await sign(k1, { claims: { tenant: "globex", sub: "tenant-probe" } });
    const res = await chat(token);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const row = await waitFor(
      "the audit row",
      async () => {
        const audit = await fetch(`${gw.url}/admin/api/audit?key=tenant-probe`, { headers: bearer(admin) });
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
        .setProtectedHeader({ alg: "HS256", kid: k1.kid, typ: "JWT" })
        .sign(new TextEncoder().encode(secret));
    const attacks: [string, string][] = [
      ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`],
      ["alg none with kid", `${b64({ alg: "none", kid: k1.kid })}.${b64(claims)}.`],
      ["alg None", `${b64({ alg: "None" })}.${b64(claims)}.`],
      ["HS256 signed with the RSA public key PEM", await hsWithPublicKey(k1.pem)],
      ["HS256 signed with the RSA public JWK", await hsWithPublicKey(JSON.stringify(k1.jwk))],
      ["wrong aud", await sign(k1, { aud: "someone-else" })],
      ["wrong iss", await sign(k1, { iss: "https://evil.test" })],
      ["expired", await sign(k1, { exp: now() - 3600 })],
      ["nbf in the future", await sign(k1, { nbf: now() + 3600 })],
      ["unknown kid", await sign(attacker)],
      ["right kid, wrong key", await sign({ ...attacker, kid: k1.kid })],
      [
        "jku to a bait server",
        await sign(attacker, { header: { jku: `http://127.0.0.1:${bait.port}/jwks.json` } }),
      ],
      [
        "jku with the trusted kid",
        await sign(
          { ...attacker, kid: k1.kid },
          { header: { jku: `http://127.0.0.1:${bait.port}/jwks.json` } },
        ),
      ],
      [
        "x5u to a bait server",
        await sign(attacker, { header: { x5u: `http://127.0.0.1:${bait.port}/cert.pem` } }),
      ],
      [
        "embedded jwk",
        await sign(attacker, { header: { jwk: { kty: "RSA", n: attacker.jwk.n, e: attacker.jwk.e } } }),
      ],
      ["tampered payload", (await sign(k1)).replace(/\.[^.]+\./, `.${b64({ ...claims, sub: "root" })}.`)],
      ["signature stripped", (await sign(k1)).replace(/\.[^.]+$/, ".")],
    ];
    for (const [name, token] of attacks) {
      for (const dialect of ["openai", "anthropic"] as const) {
        const res =
          dialect === "openai"
            ? await chat(token)
            : await fetch(`${gw.url}/v1/messages`, {
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
    expect(baitHits).toBe(0);
    // A valid token still works after the barrage (no lockout, no poisoned cache).
    expect(await status(await sign(k1))).toBe(200);
    expect(baitHits).toBe(0);
  }, 30_000);
});

describe("key rotation at the JWKS", () => {
  test("a new kid is picked up, and once the old kid is gone its tokens fail", async () => {
    const old = await sign(k1);
    expect(await status(old)).toBe(200);
    const hitsBefore = jwksHits;
    // The IdP rotates: k2 appears, k1 is removed.
    published = [k2.jwk];
    const fresh = await sign(k2);
    await waitFor("the new kid to be accepted", async () => (await status(fresh)) === 200, 15_000);
    expect(jwksHits).toBeGreaterThan(hitsBefore);
    await waitFor("the removed kid to be refused", async () => (await status(old)) === 401, 15_000);
    expect(await status(await sign(k1))).toBe(401);
    expect(await status(await sign(k2))).toBe(200);
    expect(baitHits).toBe(0);
  }, 40_000);
});

describe("a JWKS outage", () => {
  test("with a set in hand, a JWKS that is down or hangs refuses nobody and is asked again in the background, not per request", async () => {
    fx.deferTest(() => {
      jwksMode = "ok";
      releaseHung();
    });
    published = [k1.jwk, k2.jwk];
    const token = await sign(k1);
    await waitFor("a token of a published key to pass", async () => (await status(token)) === 200);
    jwksMode = "down";
    let before = jwksHits;
    // Each answer is immediate; once the set is stale (1 s) a request starts a refresh behind it.
    await waitFor("a refresh while the JWKS is down", async () => {
      expect(await status(token)).toBe(200);
      return jwksHits > before;
    });
    before = jwksHits;
    const answers = await Promise.all(Array.from({ length: 10 }, () => status(token)));
    expect(answers.every((code) => code === 200)).toBe(true);
    expect(jwksHits - before).toBeLessThanOrEqual(1); // backing off after the failure
    jwksMode = "hang";
    before = jwksHits;
    await waitFor("a refresh that hangs", async () => {
      expect(await status(token)).toBe(200);
      return jwksHits > before;
    });
    expect(await status(token)).toBe(200); // answered while that fetch is still open
  }, 40_000);

  test("a reload that edits auth.jwt keeps the keys in hand: with the JWKS down, the new limits apply and nobody is refused", async () => {
    fx.deferTest(() => {
      jwksMode = "ok";
    });
    published = [k1.jwk, k2.jwk];
    const token = await sign(k1);
    await waitFor("a token of a published key to pass", async () => (await status(token)) === 200);
    jwksMode = "down";
    const reloads = () => gw.stderr.all.split("config reloaded").length - 1;
    const before = reloads();
    await gw.writeConfig(configWith({ ...startJwt, limits: { rpm: 999 } }));
    await waitFor("the reload", () => reloads() > before);
    const edited = await chat(token);
    expect(edited.status).toBe(200);
    expect(edited.headers.get("x-ratelimit-limit-requests")).toBe("999");
    await edited.arrayBuffer();
    // Past the set's max age (1 s) too: its refresh fails behind the requests, the set serves.
    const hits = jwksHits;
    await waitFor("a refresh of the kept set", async () => {
      expect(await status(token)).toBe(200);
      return jwksHits > hits;
    });
    await gw.writeConfig(configWith(startJwt));
    await waitFor("the config back", () => reloads() > before + 1);
  }, 40_000);

  test("with no set ever fetched, a JWKS that is down is a 503 with Retry-After in the caller's dialect", async () => {
    const config = fakeRoutesConfig(fx.fake.url, ["m1"], {
      auth: {
        jwt: {
          jwks_url: `http://127.0.0.1:${jwks.port}/down.json`,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["RS256"],
        },
      },
    });
    const down = await fx.spawn({ config });
    const token = await sign(k1);
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

describe("a JWT's tenant", () => {
  test("a worker token whose tenant claim is a list is refused, not made a worker of every tenant", async () => {
    const token = await sign(k1, { claims: { sub: "box-b", role: "worker", tenant: ["globex"] } });
    const worker = spawnWorker({
      gateway: gw.url,
      token,
      upstream: `${fx.fake.url}/v1`,
      name: "listed-tenant",
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    expect(await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 15_000)).toBe(2);
    expect(worker.stderr.all).toContain("refused the worker token");
    await waitFor("the refusal's reason logged", () => gw.stderr.match(/tenant claim is not a tenant name/));
  });

  test("a tenant claim of another shape, or naming no configured tenant, is the uniform 401; its reason only in the log", async () => {
    for (const tenant of [["acme"], 42, "", "Acme", "default"]) {
      const res = await chat(await sign(k1, { claims: { sub: "odd-tenant", tenant } }));
      expect({ tenant, status: res.status }).toEqual({ tenant, status: 401 });
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(UNIFORM);
    }
    await waitFor("the reason logged", () =>
      gw.stderr.match(/tenant claim names no configured tenant: .*Acme/),
    );
    // A configured tenant's name passes.
    expect(await status(await sign(k1, { claims: { sub: "odd-tenant", tenant: "globex" } }))).toBe(200);
  });
});

describe("a JWT's subject id", () => {
  test("tenant claims that spell one id with their names are two callers: each its own rpm window, audit id and stored responses", async () => {
    published = [k1.jwk, k2.jwk];
    // No `tenants:`: every tenant claim is a free label, a colon in it too.
    const free = await fx.spawn({
      config: fakeRoutesConfig(fx.fake.url, ["m1"], { auth: { jwt: startJwt } }),
    });
    const a = await sign(k1, { claims: { sub: "bob", tenant: "acme:alice" } });
    const b = await sign(k1, { claims: { sub: "alice:bob", tenant: "acme" } });
    const post = (token: string, path: string, body: string) =>
      fetch(`${free.url}${path}`, { method: "POST", headers: bearer(token), body });
    const stored = await post(a, "/v1/responses", JSON.stringify({ model: "m1", input: "alice's secret" }));
    expect(stored.status).toBe(200);
    expect(stored.headers.get("x-ratelimit-remaining-requests")).toBe("999");
    const id = ((await stored.json()) as { id: string }).id;
    // Written as they came, both ids were jwt:acme:alice:bob: one window, one row's caller, one scope.
    expect(await auditRow(free, stored.headers.get("x-request-id") ?? "")).toMatchObject({
      keyId: "jwt:acme%3Aalice:bob",
      keyName: "bob",
      tenant: "acme:alice",
    });
    const other = await post(b, "/v1/chat/completions", chatBody("m1"));
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining-requests")).toBe("999");
    await other.arrayBuffer();
    expect(await auditRow(free, other.headers.get("x-request-id") ?? "")).toMatchObject({
      keyId: "jwt:acme:alice:bob",
      keyName: "alice:bob",
      tenant: "acme",
    });
    for (const path of [`/v1/responses/${id}`, `/v1/responses/${id}/input_items`]) {
      const read = async (token: string) => {
        const res = await fetch(`${free.url}${path}`, { headers: bearer(token) });
        await res.arrayBuffer();
        return res.status;
      };
      expect({ path, own: await read(a), other: await read(b) }).toEqual({ path, own: 200, other: 404 });
    }
  });
});

describe("a JWT's expiry", () => {
  test("an expired token's 401 leaves x-should-retry out, so Claude Code's apiKeyHelper is run again for a fresh one; no credential at all is refused for good", async () => {
    published = [k1.jwk, k2.jwk];
    await waitFor("k1 to verify", async () => (await status(await sign(k1))) === 200, 15_000);
    const expired = await chat(await sign(k1, { exp: now() - 3600 }));
    expect([expired.status, expired.headers.get("x-should-retry")]).toEqual([401, null]);
    const none = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect([none.status, none.headers.get("x-should-retry")]).toEqual([401, "false"]);
  });

  test("a worker connected with a JWT is closed when the token expires (key_expired), as a key's worker is", async () => {
    published = [k1.jwk, k2.jwk];
    // Valid for 3 s more, plus the config's 5 s clock tolerance.
    const token = await sign(k1, { claims: { sub: "gpu-box", role: "worker" }, exp: now() + 3 });
    const worker = spawnWorker({ gateway: gw.url, token, upstream: `${fx.fake.url}/v1`, name: "jwt-gpu" });
    fx.deferTest(() => worker.stop("SIGKILL"));
    await waitForWorkers(gw.url, admin, ["jwt-gpu"]);
    await waitForWorkers(gw.url, admin, [], 30_000);
    // Refused as expired, the worker stops rather than reconnect with the same token.
    expect(await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 15_000)).toBe(2);
    // Said of what it sent, a token, not a key (the gateway's `rejected` message, as the worker prints it).
    expect(worker.stderr.all + worker.stdout.all).toContain("the worker's token (JWT) expired");
  }, 60_000);
});

describe("a JWT subject and an API key of the same name", () => {
  test("are told apart: the row's keyId, the access line's key, the audit filter and the tail", async () => {
    published = [k1.jwk, k2.jwk];
    const key = await createKey(gw, { name: "dup", role: "user", tenant: "acme" });
    // A name claim the user may choose: the same as the key's name, in the key's tenant.
    const token = await sign(k1, { claims: { sub: "dup", tenant: "acme" } });
    const requestId = async (credential: string) => {
      const res = await chat(credential);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return res.headers.get("x-request-id") ?? "";
    };
    await waitFor("the token to pass", async () => (await status(token)) === 200);
    const byKey = await requestId(key.key);
    const byJwt = await requestId(token);
    // The row: a JWT caller's id is its subject id, as its limits and spend count it.
    expect(await auditRow(gw, byKey)).toMatchObject({ keyId: key.id, keyName: "dup", tenant: "acme" });
    expect(await auditRow(gw, byJwt)).toMatchObject({
      keyId: "jwt:acme:dup",
      keyName: "dup",
      tenant: "acme",
    });
    // The filter: the name matches both, each id only its own caller.
    const ids = async (filter: string) => (await auditRecords(gw, { key: filter })).map((r) => r.requestId);
    expect(await ids("dup")).toEqual(expect.arrayContaining([byKey, byJwt]));
    expect(await ids("jwt:acme:dup")).toContain(byJwt);
    expect(await ids("jwt:acme:dup")).not.toContain(byKey);
    expect(await ids(key.id)).toEqual([byKey]);
    // The access line: the key by its name, the JWT caller by its subject id.
    const accessLine = (id: string) =>
      waitFor(`the access line of ${id}`, () =>
        gw.stderr.all.split("\n").find((line) => line.includes(` request request_id=${id} `)),
      );
    expect(await accessLine(byKey)).toContain(" key=dup tenant=acme ");
    expect(await accessLine(byJwt)).toContain(" key=jwt:acme:dup tenant=acme ");
    // The tail: `--key` takes the subject id, and leaves out the key of the same name.
    const tail = spawnTail(["--gateway", gw.url, "--json", "--key", "jwt:acme:dup"], {
      MINDGW_ADMIN_KEY: admin,
    });
    fx.deferTest(() => tail.stop());
    const probes = await untilListening(tail, () => requestId(token));
    const keyAgain = await requestId(key.key);
    const jwtAgain = await requestId(token);
    await tail.finished(jwtAgain);
    const printed = tail.lines().map(requestIdOf);
    expect(printed).toContain(jwtAgain);
    expect(printed).not.toContain(keyAgain);
    const started = tail.lines().find((l) => l.type === "request.started" && l.requestId === jwtAgain);
    expect(started).toMatchObject({ keyId: "jwt:acme:dup", keyName: "dup" });
    expect(probes.size).toBeGreaterThan(0);
  }, 40_000);

  test("an id in the key filter is that caller alone: a name claim spelt like another's id is not matched", async () => {
    published = [k1.jwk, k2.jwk];
    const key = await createKey(gw, { name: "pose", role: "user", tenant: "acme" });
    const subject = await sign(k1, { claims: { sub: "pose", tenant: "acme" } });
    // Another tenant's users whose name claims (preferred_username, say) spell acme's ids.
    const posingAsSubject = await sign(k1, { claims: { sub: "jwt:acme:pose", tenant: "globex" } });
    const posingAsKey = await sign(k1, { claims: { sub: key.id, tenant: "globex" } });
    const requestId = async (credential: string) => {
      const res = await chat(credential);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return res.headers.get("x-request-id") ?? "";
    };
    await waitFor("the token to pass", async () => (await status(subject)) === 200);
    const [bySubject, byKey, asSubject, asKey] = [
      await requestId(subject),
      await requestId(key.key),
      await requestId(posingAsSubject),
      await requestId(posingAsKey),
    ];
    expect(await auditRow(gw, asSubject)).toMatchObject({
      keyId: "jwt:globex:jwt:acme:pose",
      keyName: "jwt:acme:pose",
    });
    await auditRow(gw, asKey);
    const ids = async (filter: string) => (await auditRecords(gw, { key: filter })).map((r) => r.requestId);
    expect(await ids("jwt:acme:pose")).toContain(bySubject);
    expect(await ids("jwt:acme:pose")).not.toContain(asSubject);
    expect(await ids(key.id)).toEqual([byKey]);
    // Each posing caller is found by its own id.
    expect(await ids("jwt:globex:jwt:acme:pose")).toEqual([asSubject]);
    // The tail: `--key jwt:acme:pose` prints the subject's requests, not the one posing as it.
    const tail = spawnTail(["--gateway", gw.url, "--json", "--key", "jwt:acme:pose"], {
      MINDGW_ADMIN_KEY: admin,
    });
    fx.deferTest(() => tail.stop());
    await untilListening(tail, () => requestId(subject));
    const posedAgain = await requestId(posingAsSubject);
    const subjectAgain = await requestId(subject);
    await tail.finished(subjectAgain);
    expect(tail.lines().map(requestIdOf)).not.toContain(posedAgain);
  }, 40_000);
});
