import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OidcIssuer, startOidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import type { ConfigSource } from "../../config/config-source.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";

// The gateway behind a proxy that terminated TLS and said nothing of it (no X-Forwarded-Proto, as
// a bare nginx `proxy_pass` sends): the browser is on https, the gateway sees plain http.
const CLIENT = { id: "mindgw", secret: "oidc-s3cret" };
const dir = mkdtempSync(join(tmpdir(), "mindgw-sso-secure-"));
let issuer: OidcIssuer;
let gateway: Gateway;

beforeAll(async () => {
  issuer = await startOidcIssuer(CLIENT);
  const source: ConfigSource = {
    initial: parseConfig({
      ...EMBEDDED_DEFAULTS,
      admin_ui: {
        oidc: {
          issuer: issuer.url,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_url: "https://gw.example.com/admin/auth/callback",
          allowed_users: ["ops@example.com"],
        },
      },
    }),
    path: null,
    watch: () => () => {},
  };
  gateway = await createGateway({
    configSource: source,
    storage: openSqliteStorage(join(dir, "gw.db")),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await gateway.stop();
  issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const at = (path: string, init: RequestInit = {}) =>
  gateway.handle(new Request(`http://gw.example.com${path}`, init));

test("the cookies a single sign-on sets at an https redirect_url are Secure, whatever the proxy said", async () => {
  issuer.user = { sub: "u-1", email: "ops@example.com", groups: [] };
  const start = await at("/admin/auth/oidc");
  const pending = /mindgw_oidc=([^;]+)/.exec(start.headers.get("set-cookie") ?? "")?.[1] ?? "";
  // The start, on the redirect_url's host, is on https too.
  expect(start.headers.get("set-cookie")?.split("; ")).toContain("Secure");
  const approved = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  // The provider sends the browser to the redirect_url it was registered with: https.
  const back = new URL(approved.headers.get("location") ?? "");
  expect(back.protocol).toBe("https:");
  const callback = await at(`${back.pathname}${back.search}`, {
    headers: { cookie: `mindgw_oidc=${pending}` },
  });
  expect(callback.headers.get("location")).toBe("/admin/");
  const cookies = callback.headers.getSetCookie();
  const session = cookies.find((cookie) => cookie.startsWith("mindgw_session="));
  expect(session).toContain("HttpOnly");
  expect(session?.split("; ")).toContain("Secure");
  const cleared = cookies.find((cookie) => cookie.startsWith("mindgw_oidc="));
  expect(cleared?.split("; ")).toContain("Secure");
});
