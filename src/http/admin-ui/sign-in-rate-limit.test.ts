import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OidcIssuer, startOidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import type { ConfigSource } from "../../config/config-source.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { createLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// Single sign-on's two steps carry no credential, and a callback with a sign-in pending (its
// cookie and state, which anyone may get by starting one) costs a call to the provider's token
// endpoint whatever its code: through the real gateway, with a real issuer on loopback.
const CLIENT = { id: "mindgw", secret: "oidc-s3cret" };
/** `admin_ui.sign_in_per_minute`, set below its default (20) so that the gateway is seen to read it. */
const SIGN_IN_STEPS_PER_MINUTE = 12;
const dir = mkdtempSync(join(tmpdir(), "mindgw-sso-limit-"));
let issuer: OidcIssuer;
let gateway: Gateway;
const written: string[] = [];

beforeAll(async () => {
  issuer = await startOidcIssuer(CLIENT);
  const source: ConfigSource = {
    initial: parseConfig({
      ...EMBEDDED_DEFAULTS,
      admin_ui: {
        sign_in_per_minute: SIGN_IN_STEPS_PER_MINUTE,
        oidc: {
          issuer: issuer.url,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_url: "http://localhost/admin/auth/callback",
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
    logger: createLogger({ format: "json", write: (line) => written.push(line) }),
  });
});
afterAll(async () => {
  await gateway.stop();
  issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const from = (clientIp: string, path: string, init: RequestInit = {}) =>
  gateway.handle(new Request(`http://localhost${path}`, init), { clientIp });

test("a flood of callbacks from one address is refused 429 with Retry-After past the bound: the token endpoint is not asked for each", async () => {
  const flooder = "203.0.113.7";
  const start = await from(flooder, "/admin/auth/oidc");
  expect(start.status).toBe(302);
  const cookie = /mindgw_oidc=[^;]+/.exec(start.headers.get("set-cookie") ?? "")?.[0] ?? "";
  const state = new URL(start.headers.get("location") ?? "").searchParams.get("state") ?? "";
  const statuses: number[] = [];
  let refused: Response | undefined;
  for (let i = 0; i < SIGN_IN_STEPS_PER_MINUTE + 10; i++) {
    // As long as a provider's codes (a code too short to be one is not redacted: sign-in.test.ts).
    const answer = await from(flooder, `/admin/auth/callback?code=bogus-code-${i}&state=${state}`, {
      headers: { cookie },
    });
    statuses.push(answer.status);
    if (answer.status === 429) refused ??= answer;
  }
  // The start was the address's first step; every step after the bound is refused.
  expect(statuses.filter((status) => status === 302)).toHaveLength(SIGN_IN_STEPS_PER_MINUTE - 1);
  expect(statuses.slice(SIGN_IN_STEPS_PER_MINUTE - 1)).toEqual(Array(11).fill(429));
  expect(issuer.refusals.filter((why) => why === "unknown or used code")).toHaveLength(
    SIGN_IN_STEPS_PER_MINUTE - 1,
  );
  if (!refused) throw new Error("no callback was refused");
  const retryAfter = Number(refused.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
  const id = refused.headers.get("x-request-id") ?? "";
  expect(id).toBeTruthy();
  // Logged as every refusal is: its access line, at warn, with the request id and the reason.
  const line = await waitForValue(`the access line of ${id}`, () =>
    written.map((text) => JSON.parse(text) as Record<string, unknown>).find((l) => l.request_id === id),
  );
  expect(line).toMatchObject({ level: "warn", msg: "request", status: 429, error: "rate_limited" });
  expect(String(line?.reason)).toContain("sign-in");
  // Nor the client's secret, nor a code the callbacks carried.
  const all = written.join("");
  expect(all).not.toContain(CLIENT.secret);
  expect(all).not.toContain("bogus-");
  // The start is refused too; another address signs in as before.
  expect((await from(flooder, "/admin/auth/oidc")).status).toBe(429);
  expect((await from("198.51.100.2", "/admin/auth/oidc")).status).toBe(302);
});

test("a browser's navigation past the bound goes back to the sign-in page saying when to try again, not to a page of JSON", async () => {
  const browser = "203.0.113.9";
  const navigate = { headers: { "sec-fetch-mode": "navigate", accept: "text/html" } };
  for (let i = 0; i < SIGN_IN_STEPS_PER_MINUTE; i++)
    expect((await from(browser, "/admin/auth/oidc", navigate)).status).toBe(302);
  for (const path of ["/admin/auth/oidc", "/admin/auth/callback?code=c&state=s"]) {
    const refused = await from(browser, path, navigate);
    expect(refused.status).toBe(302);
    const location = new URL(refused.headers.get("location") ?? "", "http://localhost");
    const retryAfter = refused.headers.get("retry-after");
    expect([location.pathname, location.searchParams.get("error")]).toEqual(["/admin/", "sso_rate_limited"]);
    expect(location.searchParams.get("retry_after")).toBe(retryAfter);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.headers.get("x-request-id")).toBeTruthy();
  }
  // The provider was not asked for either: a script's step (no navigation) is still the 429.
  expect((await from(browser, "/admin/auth/oidc")).status).toBe(429);
});
