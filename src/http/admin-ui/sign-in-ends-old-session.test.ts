import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OidcIssuer, startOidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// Signing in again in a browser that holds a session: the session its cookie names ends, so the
// browser holds one session, never a second left alive beside it (a fixed or stolen cookie
// outliving the sign-in that should have replaced it). Through the real gateway (app.handle, a
// real SQLite file), with a real OIDC issuer on loopback.
const CLIENT = { id: "mindgw", secret: "oidc-s3cret" };
const dir = mkdtempSync(join(tmpdir(), "mindgw-sign-in-again-"));
let issuer: OidcIssuer;
let gateway: Gateway;
let adminKey = "";

beforeAll(async () => {
  issuer = await startOidcIssuer(CLIENT);
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      admin_ui: {
        oidc: {
          issuer: issuer.url,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_url: "http://localhost/admin/auth/callback",
          allowed_users: ["ops@example.com"],
        },
      },
    }),
  ));
});
afterAll(async () => {
  await gateway.stop();
  issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const at = (path: string, init: RequestInit = {}) =>
  gateway.handle(new Request(`http://localhost${path}`, init));

/** The `mindgw_session=…` pair an answer set. */
const sessionCookie = (answer: Response) =>
  answer.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith("mindgw_session="))
    ?.split("; ")[0] ?? "";

const keySignIn = async (cookie?: string) =>
  sessionCookie(
    await at("/admin/auth/login", {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, ...(cookie ? { cookie } : {}) },
    }),
  );

/**
 * A single sign-on as a browser takes it: the session cookie (SameSite=Strict) goes with the
 * sign-in page's link to `/admin/auth/oidc` (a same-site navigation), but not with the identity
 * provider's redirect back to the callback (a cross-site one), which carries only the pending
 * sign-in's cookie (SameSite=Lax).
 */
const ssoSignIn = async (cookie?: string) => {
  const start = await at("/admin/auth/oidc", cookie ? { headers: { cookie } } : {});
  const pending = /mindgw_oidc=[^;]+/.exec(start.headers.get("set-cookie") ?? "")?.[0] ?? "";
  const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const back = new URL(approved.headers.get("location") ?? "");
  const callback = await at(`${back.pathname}${back.search}`, { headers: { cookie: pending } });
  expect(callback.headers.get("location")).toBe("/admin/");
  return sessionCookie(callback);
};

const signedIn = async (cookie: string) =>
  ((await (await at("/admin/auth/session", { headers: { cookie } })).json()) as { signedIn: boolean })
    .signedIn;

test("an admin-key sign-in ends the session the browser's cookie names; the new one stands", async () => {
  const first = await keySignIn();
  expect(await signedIn(first)).toBe(true);
  const second = await keySignIn(first);
  expect(second).not.toBe(first);
  expect([await signedIn(first), await signedIn(second)]).toEqual([false, true]);
});

test("a single sign-on ends the session the browser's cookie names, a key's session or another sign-on's", async () => {
  const byKey = await keySignIn();
  const bySso = await ssoSignIn(byKey);
  expect([await signedIn(byKey), await signedIn(bySso)]).toEqual([false, true]);
  const again = await ssoSignIn(bySso);
  expect([await signedIn(bySso), await signedIn(again)]).toEqual([false, true]);
});

test("a sign-in without a cookie, or with one naming no session, ends nobody's session", async () => {
  const other = await keySignIn();
  expect(await signedIn(await keySignIn())).toBe(true);
  expect(await signedIn(await keySignIn("mindgw_session=no-such-session"))).toBe(true);
  expect(await signedIn(other)).toBe(true);
});

test("a single sign-on the provider refuses ends no session, nor does one started without a cookie", async () => {
  const held = await keySignIn();
  const start = await at("/admin/auth/oidc", { headers: { cookie: held } });
  const pending = /mindgw_oidc=[^;]+/.exec(start.headers.get("set-cookie") ?? "")?.[0] ?? "";
  const state = new URL(start.headers.get("location") ?? "").searchParams.get("state") ?? "";
  const refused = await at(`/admin/auth/callback?state=${state}&error=access_denied`, {
    headers: { cookie: pending },
  });
  expect(refused.headers.get("location")).toBe("/admin/?error=sso_refused");
  expect(await signedIn(held)).toBe(true);
  expect(await signedIn(await ssoSignIn())).toBe(true);
  expect(await signedIn(held)).toBe(true);
});
