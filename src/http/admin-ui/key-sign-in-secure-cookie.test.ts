import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// Every cookie the web UI sets takes `Secure` from one place: through the real gateway
// (app.handle, a real SQLite file), the admin-key sign-in and sign-out and single sign-on's start,
// behind a proxy that terminated TLS and said nothing of it (a bare nginx `proxy_pass`), and on
// plain http with no sign of https anywhere.
const dir = mkdtempSync(join(tmpdir(), "mindgw-key-secure-"));
const behindProxy = { gateway: undefined as Gateway | undefined, adminKey: "" };
const plain = { gateway: undefined as Gateway | undefined, adminKey: "" };
const shortHost = { gateway: undefined as Gateway | undefined, adminKey: "" };

const configAt = (name: string, redirectUrl?: string) =>
  parseConfig({
    storage: { path: join(dir, `${name}.db`) },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    ...(redirectUrl
      ? {
          admin_ui: {
            oidc: {
              // Never asked: single sign-on's start fails over to the sign-in page, cookie-less.
              issuer: "https://idp.example.com",
              client_id: "mindgw",
              redirect_url: redirectUrl,
              allowed_users: ["ops@example.com"],
            },
          },
        }
      : {}),
  });

beforeAll(async () => {
  Object.assign(
    behindProxy,
    await recordingGateway(configAt("proxy", "https://gw.example.com/admin/auth/callback")),
  );
  Object.assign(plain, await recordingGateway(configAt("plain")));
  Object.assign(shortHost, await recordingGateway(configAt("short", "https://gw/admin/auth/callback")));
});
afterAll(async () => {
  await Promise.all([behindProxy.gateway?.stop(), plain.gateway?.stop(), shortHost.gateway?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Signs in with the admin key at `url`, then out: both answers' `mindgw_session` cookies. */
async function signInAndOut(
  at: { gateway: Gateway | undefined; adminKey: string },
  url: string,
  headers: Record<string, string> = {},
) {
  const gateway = at.gateway;
  if (!gateway) throw new Error("no gateway");
  const login = await gateway.handle(
    new Request(`${url}/admin/auth/login`, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${at.adminKey}` },
    }),
  );
  expect(login.status).toBe(200);
  const signedIn = login.headers.getSetCookie().find((cookie) => cookie.startsWith("mindgw_session=")) ?? "";
  const { csrf } = (await login.json()) as { csrf: string };
  const logout = await gateway.handle(
    new Request(`${url}/admin/auth/logout`, {
      method: "POST",
      headers: { ...headers, cookie: signedIn.split("; ")[0] ?? "", "x-csrf-token": csrf },
    }),
  );
  expect(logout.status).toBe(200);
  const cleared = logout.headers.getSetCookie().find((cookie) => cookie.startsWith("mindgw_session=")) ?? "";
  return [signedIn.split("; ").includes("Secure"), cleared.split("; ").includes("Secure")];
}

test("the admin-key sign-in at the host of an https redirect_url sets a Secure cookie, though the proxy sent no proto header", async () => {
  expect(await signInAndOut(behindProxy, "http://gw.example.com")).toEqual([true, true]);
  // The host as a proxy may write it: another case, the default port, or X-Forwarded-Host.
  expect(await signInAndOut(behindProxy, "http://GW.example.com:443")).toEqual([true, true]);
  expect(
    await signInAndOut(behindProxy, "http://10.0.0.7:8080", { "x-forwarded-host": "gw.example.com" }),
  ).toEqual([true, true]);
});

test("at a host of three letters or fewer (nginx's `proxy_pass http://gw;`), the Host header is the host compared: the request's url reads as on localhost", async () => {
  // As Bun's server hands it in: the url's host is the Host header's, then routed as on localhost.
  expect(await signInAndOut(shortHost, "http://gw", { host: "gw" })).toEqual([true, true]);
});

test("with no sign of https (another host than redirect_url's, or no redirect_url) the cookie is not Secure: plain http on loopback keeps working", async () => {
  expect(await signInAndOut(behindProxy, "http://127.0.0.1:8080")).toEqual([false, false]);
  expect(await signInAndOut(plain, "http://localhost")).toEqual([false, false]);
});

test("a proxy that says https in RFC 7239 Forwarded or a list of X-Forwarded-Proto makes it Secure", async () => {
  expect(
    await signInAndOut(plain, "http://localhost", { forwarded: 'for=192.0.2.60;Proto="https"' }),
  ).toEqual([true, true]);
  expect(await signInAndOut(plain, "http://localhost", { "x-forwarded-proto": "https, http" })).toEqual([
    true,
    true,
  ]);
  expect(await signInAndOut(plain, "http://localhost", { "x-forwarded-proto": "http, https" })).toEqual([
    false,
    false,
  ]);
});
