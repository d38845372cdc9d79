import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { auditRecords, auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { jwtGatewayFixture, now, sign, UNIFORM } from "./harness/jwt-gateway-fixture.ts";
import { requestIdOf, spawnTail, untilListening } from "./harness/spawn-tail.ts";
import { spawnWorker, waitForWorkers } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// JWT through the binary (harness/jwt-gateway-fixture.ts, split from auth-jwt.test.ts): who a
// token's caller is — its tenant claim, its subject id, its expiry (a worker's too), and a subject
// named like an API key.

const jwt = jwtGatewayFixture();
const { fx, idp, chat, status } = jwt;

describe("a JWT's tenant", () => {
  test("a worker token whose tenant claim is a list is refused, not made a worker of every tenant", async () => {
    const token = await sign(jwt.k1, { claims: { sub: "box-b", role: "worker", tenant: ["globex"] } });
    const worker = spawnWorker({
      gateway: fx.gw.url,
      token,
      upstream: `${fx.fake.url}/v1`,
      name: "listed-tenant",
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    expect(await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 15_000)).toBe(2);
    expect(worker.stderr.all).toContain("refused the worker token");
    await waitFor("the refusal's reason logged", () =>
      fx.gw.stderr.match(/tenant claim is not a tenant name/),
    );
  });

  test("a tenant claim of another shape, or naming no configured tenant, is the uniform 401; its reason only in the log", async () => {
    for (const tenant of [["acme"], 42, "", "Acme", "default"]) {
      const res = await chat(await sign(jwt.k1, { claims: { sub: "odd-tenant", tenant } }));
      expect({ tenant, status: res.status }).toEqual({ tenant, status: 401 });
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(UNIFORM);
    }
    await waitFor("the reason logged", () =>
      fx.gw.stderr.match(/tenant claim names no configured tenant: .*Acme/),
    );
    // A configured tenant's name passes.
    expect(await status(await sign(jwt.k1, { claims: { sub: "odd-tenant", tenant: "globex" } }))).toBe(200);
  });
});

describe("a JWT's subject id", () => {
  test("tenant claims that spell one id with their names are two callers: each its own rpm window, audit id and stored responses", async () => {
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    // No `tenants:`: every tenant claim is a free label, a colon in it too.
    const free = await fx.spawn({
      config: fakeRoutesConfig(fx.fake.url, ["m1"], { auth: { jwt: jwt.startJwt } }),
    });
    const a = await sign(jwt.k1, { claims: { sub: "bob", tenant: "acme:alice" } });
    const b = await sign(jwt.k1, { claims: { sub: "alice:bob", tenant: "acme" } });
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
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    await waitFor("k1 to verify", async () => (await status(await sign(jwt.k1))) === 200, 15_000);
    const expired = await chat(await sign(jwt.k1, { exp: now() - 3600 }));
    expect([expired.status, expired.headers.get("x-should-retry")]).toEqual([401, null]);
    const none = await fetch(`${fx.gw.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect([none.status, none.headers.get("x-should-retry")]).toEqual([401, "false"]);
  });

  test("a worker connected with a JWT is closed when the token expires (key_expired), as a key's worker is", async () => {
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    // Valid for 3 s more, plus the config's 5 s clock tolerance.
    const token = await sign(jwt.k1, { claims: { sub: "gpu-box", role: "worker" }, exp: now() + 3 });
    const worker = spawnWorker({ gateway: fx.gw.url, token, upstream: `${fx.fake.url}/v1`, name: "jwt-gpu" });
    fx.deferTest(() => worker.stop("SIGKILL"));
    await waitForWorkers(fx.gw.url, jwt.admin, ["jwt-gpu"]);
    await waitForWorkers(fx.gw.url, jwt.admin, [], 30_000);
    // Refused as expired, the worker stops rather than reconnect with the same token.
    expect(await waitFor("the worker to exit", () => worker.proc.exitCode ?? undefined, 15_000)).toBe(2);
    // Said of what it sent, a token, not a key (the gateway's `rejected` message, as the worker prints it).
    expect(worker.stderr.all + worker.stdout.all).toContain("the worker's token (JWT) expired");
  }, 60_000);
});

describe("a JWT subject and an API key of the same name", () => {
  test("are told apart: the row's keyId, the access line's key, the audit filter and the tail", async () => {
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    const key = await createKey(fx.gw, { name: "dup", role: "user", tenant: "acme" });
    // A name claim the user may choose: the same as the key's name, in the key's tenant.
    const token = await sign(jwt.k1, { claims: { sub: "dup", tenant: "acme" } });
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
    expect(await auditRow(fx.gw, byKey)).toMatchObject({ keyId: key.id, keyName: "dup", tenant: "acme" });
    expect(await auditRow(fx.gw, byJwt)).toMatchObject({
      keyId: "jwt:acme:dup",
      keyName: "dup",
      tenant: "acme",
    });
    // The filter: the name matches both, each id only its own caller.
    const ids = async (filter: string) =>
      (await auditRecords(fx.gw, { key: filter })).map((r) => r.requestId);
    expect(await ids("dup")).toEqual(expect.arrayContaining([byKey, byJwt]));
    expect(await ids("jwt:acme:dup")).toContain(byJwt);
    expect(await ids("jwt:acme:dup")).not.toContain(byKey);
    expect(await ids(key.id)).toEqual([byKey]);
    // The access line: the key by its name, the JWT caller by its subject id.
    const accessLine = (id: string) =>
      waitFor(`the access line of ${id}`, () =>
        fx.gw.stderr.all.split("\n").find((line) => line.includes(` request request_id=${id} `)),
      );
    expect(await accessLine(byKey)).toContain(" key=dup tenant=acme ");
    expect(await accessLine(byJwt)).toContain(" key=jwt:acme:dup tenant=acme ");
    // The tail: `--key` takes the subject id, and leaves out the key of the same name.
    const tail = spawnTail(["--gateway", fx.gw.url, "--json", "--key", "jwt:acme:dup"], {
      MINDGW_ADMIN_KEY: jwt.admin,
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
    idp.published = [jwt.k1.jwk, jwt.k2.jwk];
    const key = await createKey(fx.gw, { name: "pose", role: "user", tenant: "acme" });
    const subject = await sign(jwt.k1, { claims: { sub: "pose", tenant: "acme" } });
    // Another tenant's users whose name claims (preferred_username, say) spell acme's ids.
    const posingAsSubject = await sign(jwt.k1, { claims: { sub: "jwt:acme:pose", tenant: "globex" } });
    const posingAsKey = await sign(jwt.k1, { claims: { sub: key.id, tenant: "globex" } });
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
    expect(await auditRow(fx.gw, asSubject)).toMatchObject({
      keyId: "jwt:globex:jwt:acme:pose",
      keyName: "jwt:acme:pose",
    });
    await auditRow(fx.gw, asKey);
    const ids = async (filter: string) =>
      (await auditRecords(fx.gw, { key: filter })).map((r) => r.requestId);
    expect(await ids("jwt:acme:pose")).toContain(bySubject);
    expect(await ids("jwt:acme:pose")).not.toContain(asSubject);
    expect(await ids(key.id)).toEqual([byKey]);
    // Each posing caller is found by its own id.
    expect(await ids("jwt:globex:jwt:acme:pose")).toEqual([asSubject]);
    // The tail: `--key jwt:acme:pose` prints the subject's requests, not the one posing as it.
    const tail = spawnTail(["--gateway", fx.gw.url, "--json", "--key", "jwt:acme:pose"], {
      MINDGW_ADMIN_KEY: jwt.admin,
    });
    fx.deferTest(() => tail.stop());
    await untilListening(tail, () => requestId(subject));
    const posedAgain = await requestId(posingAsSubject);
    const subjectAgain = await requestId(subject);
    await tail.finished(subjectAgain);
    expect(tail.lines().map(requestIdOf)).not.toContain(posedAgain);
  }, 40_000);
});
