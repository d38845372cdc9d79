import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import OpenAI from "openai";
import { bearer, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startOidcIssuer } from "./harness/oidc-issuer.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(60_000);

// After a run that exercises keys (created locally, remotely, rotated, revoked), JWTs and
// refusals, no raw key or JWT is anywhere in the gateway's output or database files, and no
// key hash is in its output or in any table but the key store's own.

const ISSUER = "https://idp.test";
/** Single sign-on's client: its secret goes to the issuer's token endpoint, never to a line. */
const OIDC_CLIENT = { id: "mindgw", secret: `oidc-${crypto.randomUUID()}` };
/** Where the issuer sends the browser back; the test takes the query to the gateway itself. */
const CALLBACK = "http://localhost/admin/auth/callback";
const AUDIENCE = "mindgw";
const DB_FILES = ["mindgw.db", "mindgw.db-wal", "mindgw.db-shm"];
const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

const dir = tempDir();
let gw: GatewayProcess;
let jwks: ReturnType<typeof Bun.serve>;
/** The web UI sessions' cookies single sign-on opened (also in `secrets`). */
const sessionCookies = new Set<string>();
/** Every raw credential sent during the run, valid or not. */
const secrets = new Set<string>();
/** Database bytes read while the gateway ran, per file (the WAL is truncated on stop). */
const whileRunning = new Map<string, Buffer>();
let stdout = "";
let stderr = "";
let requestsSent = 0;
/** Non-secret strings the run stored, to prove the byte search can see text in these files. */
const controls: string[] = [];

async function send(path: string, token: string, body?: object, header: "bearer" | "x-api-key" = "bearer") {
  requestsSent++;
  const headers =
    header === "bearer" ? bearer(token) : { "x-api-key": token, "content-type": "application/json" };
  const res = await fetch(gw.url + path, {
    method: body ? "POST" : "GET",
    headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // Error bodies never echo a credential either.
  expect(text).not.toContain(token);
  return res.status;
}

async function exercise(admin: string, tokens: { good: string[]; bad: string[] }): Promise<void> {
  const chat = { model: "m1", messages: [{ role: "user", content: "hello there" }] };
  for (const token of tokens.good) {
    await send("/v1/chat/completions", token, chat);
    await send("/v1/chat/completions", token, { ...chat, stream: true });
    await send("/v1/messages", token, { ...chat, max_tokens: 16 }, "x-api-key");
    await send("/v1/embeddings", token, { model: "m1", input: "hello" });
    await send("/v1/models", token);
    await send("/v1/chat/completions", token, { ...chat, model: "m2" });
  }
  for (const token of tokens.bad) {
    expect(await send("/v1/chat/completions", token, chat)).toBe(401);
    expect(await send("/v1/messages", token, { ...chat, max_tokens: 16 }, "x-api-key")).toBe(401);
  }
  await send("/admin/api/keys", admin);
  await send("/admin/api/audit", admin);
  // An upstream failure and a stream that fails mid-way, so the router has something to log.
  await send("/v1/chat/completions", admin, {
    ...chat,
    messages: [{ role: "user", content: "[[fake:status=500]] hi" }],
  });
  await send("/v1/chat/completions", tokens.good[1] ?? admin, {
    ...chat,
    stream: true,
    messages: [{ role: "user", content: "[[fake:stream-error=2]] one two three four" }],
  });
}

let privateKey: CryptoKey;

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, defer }) => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256" };
    const issuer = await startOidcIssuer(OIDC_CLIENT);
    defer(() => issuer.stop());
    jwks = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ keys: [jwk] }) });
    defer(() => jwks.stop(true));
    return fakeRoutesConfig(fake.url, ["m1", "m2"], {
      auth: {
        jwt: {
          jwks_url: `http://127.0.0.1:${jwks.port}/jwks.json`,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["RS256"],
          claims: { models: "models" },
        },
      },
      prices: { m1: { input_per_mtok: 1, output_per_mtok: 2 } },
      admin_ui: {
        oidc: {
          issuer: issuer.url,
          client_id: OIDC_CLIENT.id,
          client_secret: OIDC_CLIENT.secret,
          redirect_url: CALLBACK,
          allowed_users: ["ops@example.com"],
        },
      },
    });
  },
});

beforeAll(async () => {
  gw = fx.gw;
  const jwt = (claims: object, exp = Math.floor(Date.now() / 1000) + 600) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
      .setSubject("jwt-user")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(exp)
      .sign(privateKey);

  try {
    const admin = gw.adminKey ?? "";
    expect(admin).toMatch(/^mgw_/);
    secrets.add(admin);
    const cli = async (...args: string[]) => {
      const out = await runMindgw(["keys", ...args, "--json"]);
      expect(out.code).toBe(0);
      return JSON.parse(out.stdout) as { id: string; key: string };
    };
    const local = await cli("create", "--name", "local", "--models", "m1", "-c", gw.configPath);
    const remote = await cli(
      "create",
      "--name",
      "remote",
      "--rpm",
      "4",
      "--gateway",
      gw.url,
      "--admin-key",
      admin,
    );
    const rotated = await cli("rotate", "remote", "--grace", "1m", "--gateway", gw.url, "--admin-key", admin);
    const toRevoke = await cli("create", "--name", "doomed", "--gateway", gw.url, "--admin-key", admin);
    await cli("revoke", toRevoke.id, "--gateway", gw.url, "--admin-key", admin);
    const worker = await cli("create", "--name", "wrk", "--role", "worker", "-c", gw.configPath);
    for (const k of [local, remote, rotated, toRevoke, worker]) secrets.add(k.key);
    controls.push(local.id, rotated.id, "jwt-user");
    await waitFor(
      "the locally created key to work",
      async () => (await send("/v1/models", local.key)) === 200,
      15_000,
    );

    const goodJwt = await jwt({ models: ["m1"] });
    const expiredJwt = await jwt({}, Math.floor(Date.now() / 1000) - 3600);
    const wrongKeyJwt = `${goodJwt.slice(0, goodJwt.lastIndexOf("."))}.${"A".repeat(342)}`;
    const unknownKey = `mgw_${"Z".repeat(43)}`;
    for (const token of [goodJwt, expiredJwt, wrongKeyJwt, unknownKey]) secrets.add(token);

    await exercise(admin, {
      good: [admin, local.key, remote.key, rotated.key, goodJwt, worker.key],
      bad: [toRevoke.key, expiredJwt, wrongKeyJwt, unknownKey, sha256(admin)],
    });
    // A config reload and a rejected edit, so the log has those lines too.
    const { stringify } = await import("yaml");
    const current = await Bun.file(gw.configPath).text();
    // A comment alone changes nothing in force: applied, but no new version ("applies nothing").
    await gw.writeConfig(`${current}\n# touched\n`);
    await waitFor("the reload", () => gw.stderr.all.includes("config change applies nothing"), 15_000);
    await gw.writeConfig(`${current}\n${stringify({ bogus: true })}`);
    await waitFor("the rejection", () => gw.stderr.all.includes("config change rejected"), 15_000);
    await gw.writeConfig(current);
    // The SDK path too (its own headers and retries off).
    const openai = new OpenAI({ apiKey: local.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] });
    requestsSent++;
    // The worker endpoint with each kind of credential (a plain GET: refused, but handled).
    for (const token of [worker.key, unknownKey, goodJwt]) {
      const res = await fetch(`${gw.url}/workers/connect`, { headers: { authorization: `Bearer ${token}` } });
      expect(await res.text()).not.toContain(token);
    }

    // Single sign-on, by hand as a browser does it: a sign-in that opens a session, and a callback
    // whose code the issuer refuses. Its client secret, codes and cookies are credentials too.
    secrets.add(OIDC_CLIENT.secret);
    for (const outcome of ["signed in", "refused"] as const) {
      const start = await fetch(`${gw.url}/admin/auth/oidc`, { redirect: "manual" });
      const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
      const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
      const back = new URL(approved.headers.get("location") ?? "");
      expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
      const code = back.searchParams.get("code") ?? "";
      if (outcome === "refused") back.searchParams.set("code", `${code}-forged`);
      const callback = await fetch(`${gw.url}/admin/auth/callback${back.search}`, {
        headers: { cookie: `mindgw_oidc=${pending}` },
        redirect: "manual",
      });
      requestsSent += 2;
      const session = /mindgw_session=([^;]+)/.exec(callback.headers.getSetCookie().join("\n"))?.[1];
      expect({ outcome, session: session !== undefined }).toEqual({
        outcome,
        session: outcome === "signed in",
      });
      for (const secret of [pending, code, back.searchParams.get("code") ?? "", session ?? ""])
        if (secret.length >= 8) secrets.add(secret);
      if (session) {
        sessionCookies.add(session);
        // The page's first question: whether its cookie names a session (it does).
        const check = await fetch(`${gw.url}/admin/auth/session`, {
          headers: { cookie: `mindgw_session=${session}` },
        });
        expect(check.status).toBe(200);
        const { csrf } = (await check.json()) as { csrf?: string };
        expect(typeof csrf).toBe("string");
        requestsSent++;
      }
    }

    await waitFor(
      "the audit log to hold the run",
      async () => {
        const res = await fetch(`${gw.url}/admin/api/audit?limit=1000`, { headers: bearer(admin) });
        const { records } = (await res.json()) as { records: unknown[] };
        return records.length >= requestsSent;
      },
      15_000,
    );
    for (const name of DB_FILES) {
      const path = `${dir.path}/${name}`;
      if (existsSync(path)) whileRunning.set(name, readFileSync(path));
    }
  } finally {
    expect(await gw.stop()).toBe(0);
    stdout = gw.stdout.all;
    stderr = gw.stderr.all;
  }
});

describe("after the run", () => {
  test("the run used the credentials it claims to (sanity)", () => {
    expect(secrets.size).toBeGreaterThanOrEqual(10);
    expect(whileRunning.get("mindgw.db")?.length ?? 0).toBeGreaterThan(0);
    expect(stderr).toContain("listening on");
  });

  test("stdout shows the admin key only in the one-time bootstrap banner", () => {
    const admin = gw.adminKey ?? "";
    const banner = /\n\s*(mgw_[A-Za-z0-9]+)\n/;
    expect(stdout.match(banner)?.[1]).toBe(admin);
    const rest = stdout.replace(banner, "\n");
    for (const secret of secrets) expect(rest).not.toContain(secret);
    for (const secret of secrets) expect(rest).not.toContain(sha256(secret));
  });

  test("stderr holds no raw key, no JWT and no key hash", () => {
    expect(stderr.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(stderr).not.toContain(secret);
      expect(stderr).not.toContain(sha256(secret));
      if (secret.startsWith("mgw_")) expect(stderr).not.toContain(secret.slice(4));
    }
  });

  test("no database file, read as bytes while running and after stop, holds a raw key or JWT", () => {
    const afterStop = new Map<string, Buffer>();
    for (const name of DB_FILES) {
      const path = `${dir.path}/${name}`;
      if (existsSync(path)) afterStop.set(name, readFileSync(path));
    }
    expect(afterStop.size).toBeGreaterThan(0);
    // Positive control: key ids and the JWT subject are stored as plain text, so the search works.
    const everything = Buffer.concat([...whileRunning.values(), ...afterStop.values()]);
    for (const control of controls)
      expect({ control, found: everything.includes(control) }).toEqual({ control, found: true });
    for (const [when, files] of [
      ["while running", whileRunning],
      ["after stop", afterStop],
    ] as const) {
      for (const [name, bytes] of files) {
        for (const secret of secrets) {
          const found = bytes.includes(Buffer.from(secret)) || bytes.includes(Buffer.from(secret, "utf16le"));
          expect({ when, name, found }).toEqual({ when, name, found: false });
        }
      }
    }
  });

  test("key hashes live only in the key store's own table (a web UI session's, in the sessions' own)", () => {
    const db = new Database(`${dir.path}/mindgw.db`, { readonly: true });
    try {
      const tables = db
        .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => t.name);
      expect(tables).toContain("audit_log");
      for (const table of tables.filter((t) => t !== "api_keys")) {
        const dump = JSON.stringify(db.query(`SELECT * FROM "${table}"`).all());
        // A session is stored as its cookie's hash, there alone (docs/SECURITY.md).
        const hashes = [...secrets]
          .filter((secret) => !(table === "admin_sessions" && sessionCookies.has(secret)))
          .map(sha256);
        for (const hash of hashes)
          expect({ table, found: dump.includes(hash) }).toEqual({ table, found: false });
        for (const secret of secrets)
          expect({ table, found: dump.includes(secret) }).toEqual({ table, found: false });
      }
    } finally {
      db.close();
    }
  });
});
