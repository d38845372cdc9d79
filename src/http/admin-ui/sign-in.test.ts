import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OidcIssuer, startOidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { sign, type TestKey, testKey } from "../../auth/jwt-test-kit.ts";
import type { Config } from "../../config/config-schema.ts";
import type { ConfigSource } from "../../config/config-source.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import type { ConfigWatchHandlers } from "../../config/watch-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { createLogger } from "../../log/logger.ts";
import { openStorage } from "../../storage/open-storage.ts";
import { recordOf } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// Signing in to the web UI through the real gateway (app.handle, a real SQLite file), with a real
// OIDC issuer and JWKS on loopback: what a sign-in stores, records and logs when something fails
// under it.
const CLIENT = { id: "mindgw", secret: "oidc-s3cret" };
const dir = mkdtempSync(join(tmpdir(), "mindgw-sign-in-"));
let issuer: OidcIssuer;
let signer: TestKey;
let gateway: Gateway;
let handlers: ConfigWatchHandlers | undefined;
const finished: AuditRecord[] = [];
const logged: string[] = [];
/** The admin-action store fails its next writes while set (a database that is full, say). */
const failing = { actions: false };
/** The JWKS answers once `release` is called, while held (the issuer slow to answer). */
const jwks = { held: false, asked: 0, release: () => {} };
let jwksServer: ReturnType<typeof Bun.serve>;

const configWith = (defaultModels: string[]): Config =>
  parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    auth: {
      jwt: {
        jwks_url: `http://127.0.0.1:${jwksServer.port}/jwks.json`,
        issuer: "https://idp.test",
        audience: "mindgw",
        algorithms: ["RS256"],
        claims: { name: "sub", role: "role" },
        allowed_roles: ["admin", "user"],
        default_models: defaultModels,
      },
    },
    admin_ui: {
      oidc: {
        issuer: issuer.url,
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_url: "http://localhost/admin/auth/callback",
        allowed_users: ["ops@example.com"],
      },
    },
  });

beforeAll(async () => {
  [issuer, signer] = await Promise.all([startOidcIssuer(CLIENT), testKey("k1")]);
  jwksServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch() {
      jwks.asked++;
      if (jwks.held) await new Promise<void>((resolve) => (jwks.release = resolve));
      return Response.json({ keys: [signer.jwk] });
    },
  });
  const initial = configWith(["*"]);
  const storage = await openStorage(initial.storage);
  const actions = storage.adminActions;
  if (!actions) throw new Error("SQLite storage keeps admin actions");
  const source: ConfigSource = {
    initial,
    path: null,
    watch(given) {
      handlers = given;
      return () => {};
    },
  };
  gateway = await createGateway({
    configSource: source,
    storage: {
      ...storage,
      adminActions: {
        ...actions,
        append: (action) =>
          failing.actions ? Promise.reject(new Error("database or disk is full")) : actions.append(action),
      },
    },
    logger: createLogger({ format: "json", write: (line) => logged.push(line) }),
    events: [{ publish: (event) => void (event.type === "request.finished" && finished.push(event.record)) }],
  });
});
afterAll(async () => {
  await gateway.stop();
  jwksServer.stop(true);
  issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const at = (path: string, init: RequestInit = {}) =>
  gateway.handle(new Request(`http://localhost${path}`, init));

/** Single sign-on by hand, as the browser goes: the gateway's start, the issuer's approval, the callback. */
async function ssoCallback(): Promise<Response> {
  const start = await at("/admin/auth/oidc");
  const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const back = new URL(approved.headers.get("location") ?? "");
  return at(`${back.pathname}${back.search}`, { headers: { cookie: `mindgw_oidc=${pending}` } });
}

const sessionCookieOf = (response: Response) =>
  /mindgw_session=([^;]+)/.exec(response.headers.getSetCookie().join("\n"))?.[1] ?? "";

/** The log lines (JSON) with this request id. */
const linesOf = (requestId: string) =>
  logged
    .map((line) => JSON.parse(line) as { level: string; msg: string; request_id?: string })
    .filter((line) => line.request_id === requestId);

describe("signing in to the web UI", () => {
  test("a JWT verified under a config version a reload has replaced opens no session: sign in again", async () => {
    const token = await sign(signer.privateKey, { kid: "k1" }, { sub: "ops", role: "admin" });
    const login = () =>
      at("/admin/auth/login", { method: "POST", headers: { authorization: `Bearer ${token}` } });
    jwks.held = true;
    const raced = login();
    // The token is being verified under the first version (its keys fetched) when the reload lands.
    await waitForValue("the JWKS to be asked", () => jwks.asked === 1);
    await handlers?.onValid(configWith(["cheap-*"]));
    jwks.held = false;
    jwks.release();
    const refused = await raced;
    expect(refused.status).toBe(503);
    expect(sessionCookieOf(refused)).toBe("");
    const retried = await login();
    expect(retried.status).toBe(200);
    expect(sessionCookieOf(retried)).not.toBe("");
  });

  test("a single sign-on that cannot be recorded is the gateway's 500, logged and audited, not sso_refused, and leaves no session", async () => {
    issuer.user = { sub: "u-1", email: "ops@example.com", groups: [] };
    const before = await sessionCount();
    failing.actions = true;
    const callback = await ssoCallback().finally(() => {
      failing.actions = false;
    });
    expect(callback.status).toBe(500);
    expect(callback.headers.get("location")).toBeNull();
    expect(sessionCookieOf(callback)).toBe("");
    const requestId = callback.headers.get("x-request-id") ?? "";
    expect(await recordOf(finished, callback)).toMatchObject({
      frontDoor: "admin",
      status: 500,
      keyId: "session:default:ops@example.com",
    });
    const said = linesOf(requestId).map(({ level, msg }) => `${level} ${msg}`);
    expect(said).toContain("error internal error");
    expect(said.filter((line) => line.includes("single sign-on"))).toEqual([]);
    expect(await sessionCount()).toBe(before);
    // Recorded, it signs in.
    const signedIn = await ssoCallback();
    expect(signedIn.headers.get("location")).toBe("/admin/");
    expect(await sessionCount()).toBe(before + 1);
  });

  test("the session probe has a request id and an audit row naming the session's user", async () => {
    issuer.user = { sub: "u-1", email: "ops@example.com", groups: [] };
    const cookie = sessionCookieOf(await ssoCallback());
    const probe = await at("/admin/auth/session", { headers: { cookie: `mindgw_session=${cookie}` } });
    expect(((await probe.json()) as { signedIn: boolean }).signedIn).toBe(true);
    expect(probe.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await recordOf(finished, probe)).toMatchObject({
      frontDoor: "admin",
      status: 200,
      keyId: "session:default:ops@example.com",
    });
    const nobody = await at("/admin/auth/session");
    expect(await recordOf(finished, nobody)).toMatchObject({ frontDoor: "admin", status: 200 });
  });

  test("a code the token endpoint quotes in its refusal is not written to the log", async () => {
    issuer.user = { sub: "u-1", email: "ops@example.com", groups: [] };
    const start = await at("/admin/auth/oidc");
    const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
    const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const back = new URL(approved.headers.get("location") ?? "");
    const code = back.searchParams.get("code") ?? "";
    const callback = () =>
      at(`${back.pathname}${back.search}`, { headers: { cookie: `mindgw_oidc=${pending}` } });
    await callback();
    // The code again: the issuer refuses it, quoting it (as some providers do).
    const replayed = await callback();
    expect(replayed.headers.get("location")).toBe("/admin/?error=sso_refused");
    const [line] = linesOf(replayed.headers.get("x-request-id") ?? "");
    expect(line?.msg).toContain("invalid_grant");
    expect(line?.msg).toContain("[redacted]");
    expect(code.length).toBeGreaterThan(0);
    expect(logged.filter((said) => said.includes(code))).toEqual([]);
  });

  test("a code too short to be one (code=e) redacts nothing: the refusal's words are logged as said", async () => {
    const start = await at("/admin/auth/oidc");
    const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
    const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const back = new URL(approved.headers.get("location") ?? "");
    back.searchParams.set("code", "e");
    const refused = await at(`${back.pathname}${back.search}`, {
      headers: { cookie: `mindgw_oidc=${pending}` },
    });
    expect(refused.headers.get("location")).toBe("/admin/?error=sso_refused");
    const [line] = linesOf(refused.headers.get("x-request-id") ?? "");
    expect(line?.msg).toContain("code e is unknown or used");
    expect(line?.msg).not.toContain("[redacted]");
  });

  test("the provider's refusal in the callback's query is logged at info, its words cut short", async () => {
    const start = await at("/admin/auth/oidc");
    const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
    const state = new URL(start.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const query = new URLSearchParams({
      state,
      error: "access_denied",
      error_description: "x".repeat(5_000),
    });
    const callback = await at(`/admin/auth/callback?${query}`, {
      headers: { cookie: `mindgw_oidc=${pending}` },
    });
    expect(callback.headers.get("location")).toBe("/admin/?error=sso_refused");
    const [line] = linesOf(callback.headers.get("x-request-id") ?? "");
    expect(line?.level).toBe("info");
    expect(line?.msg).toStartWith("single sign-on refused by the provider: access_denied (xxx");
    expect(line?.msg).toEndWith("… (5000 characters))");
    expect(line?.msg.length).toBeLessThan(300);
  });

  test("credential-shaped text in the provider's refusal in the callback's query is redacted, as in every logged error", async () => {
    const start = await at("/admin/auth/oidc");
    const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
    const state = new URL(start.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const query = new URLSearchParams({
      state,
      error: "invalid_request client_secret=Zq8-w3Lk9vT2",
      error_description:
        "bad redirect https://idp.test/cb?code=AbC123xyz987&x=1 (client_secret=Zq8-w3Lk9vT2)",
    });
    const callback = await at(`/admin/auth/callback?${query}`, {
      headers: { cookie: `mindgw_oidc=${pending}` },
    });
    expect(callback.headers.get("location")).toBe("/admin/?error=sso_unavailable");
    const [line] = linesOf(callback.headers.get("x-request-id") ?? "");
    expect(line?.msg).toBe(
      "single sign-on refused by the provider: invalid_request client_secret=[redacted] (bad redirect https://idp.test/cb?code=[redacted]&x=1 (client_secret=[redacted]))",
    );
    expect(logged.filter((said) => said.includes("Zq8-w3Lk9vT2") || said.includes("AbC123xyz987"))).toEqual(
      [],
    );
  });
});

async function sessionCount(): Promise<number> {
  const { Database } = await import("bun:sqlite");
  const db = new Database(join(dir, "gw.db"), { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM admin_sessions").get()?.n ?? 0;
  } finally {
    db.close();
  }
}
