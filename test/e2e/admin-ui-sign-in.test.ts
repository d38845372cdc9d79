import { beforeAll, describe, expect, test } from "bun:test";
import type { Page, Route } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi, NARROW, WIDE } from "./harness/admin-ui-kit.ts";
import type { TestBrowser } from "./harness/browser.ts";
import type { OidcIssuer } from "./harness/oidc-issuer.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). Signing in and staying
// signed in: an admin key, sessions and their end, single sign-on, refusals, the keyboard.

const ui = adminUi();
const { config, expectingRefusals, titleIs, signInWithKey, signedIn, sessionCookie, shoot, fx, refuseReads } =
  ui;
let gw: GatewayProcess;
let adminKey: string;
let issuer: OidcIssuer;
let browser: TestBrowser;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, issuer, browser, page } = ui);
});

/**
 * Signs out with the button and waits for it to settle: the logout answered, the sign-in page
 * shown, and no alert on it (signed out on purpose: no word of a session that ended).
 */
async function signOutSaysNothing() {
  const answered = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/admin/auth/logout",
  );
  await page.getByRole("button", { name: "Sign out" }).click();
  await answered;
  await page.getByLabel("Admin key").waitFor();
  await page.getByRole("alert").waitFor({ state: "detached", timeout: 5_000 });
}

describe("/admin in a real browser", () => {
  test("sign in with an admin key: a session cookie, and the key kept nowhere in the browser", async () => {
    await page.goto(`${gw.url}/admin/`);
    await page.getByRole("heading", { name: "mindgw admin" }).waitFor();
    await shoot("sign-in-1280");
    await page.setViewportSize(NARROW);
    await shoot("sign-in-390");
    await page.setViewportSize(WIDE);
    await signInWithKey(adminKey);

    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin", secure: false });
    const kept = await page.evaluate(() =>
      JSON.stringify([
        { ...localStorage },
        { ...sessionStorage },
        document.cookie,
        document.documentElement.outerHTML,
      ]),
    );
    expect(kept).not.toContain(adminKey);
    expect(kept).not.toContain(cookie.value);
    const shell = await fetch(`${gw.url}/admin/`);
    expect(shell.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await shell.text()).not.toMatch(/<script>|<style|style=/);
  }, 60_000);

  test("a sign-in answered by a proxy's HTML page (200) is said readably, naming what was called, not as a parser's error", async () => {
    await page.goto("about:blank");
    await browser.context.clearCookies();
    // A proxy in front of the gateway (its own session over) answers with its login page, 200.
    const loginPage = (route: Route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Sign in</title>" });
    const login = (url: URL) => url.pathname === "/admin/auth/login";
    await page.route(login, loginPage);
    fx.deferTest(() => page.unroute(login, loginPage));
    await page.goto(`${gw.url}/admin/`);
    await page.getByLabel("Admin key").fill(adminKey);
    await page.getByLabel("Admin key").press("Enter");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      "/admin/auth/login answered 200 with text/html, not JSON: a proxy in front of the gateway may have answered in its stead",
    );
  }, 60_000);

  test("keyboard: tab from the top reaches the page links and moves between pages", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/overview`);
    await page.locator("main h1").waitFor();
    await page.keyboard.press("Tab"); // skip link
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Requests");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Requests" }).waitFor();
  }, 30_000);

  test("refused: a non-admin key, a forged cookie, a missing or wrong CSRF token", async () => {
    const user = await createKey(gw, { name: "bob", role: "user", models: ["*"] });
    await expectingRefusals(async () => {
      await browser.context.clearCookies();
      await page.goto(`${gw.url}/admin/`);
      await page.getByLabel("Admin key").fill(user.key);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("alert").getByText("lacks the required role").waitFor();
    });
    expect((await browser.context.cookies(`${gw.url}/admin/`)).some((c) => c.name === "mindgw_session")).toBe(
      false,
    );

    await expectingRefusals(async () => {
      await browser.context.addCookies([
        { name: "mindgw_session", value: "forged-session-id", url: `${gw.url}/admin` },
      ]);
      await page.goto(`${gw.url}/admin/keys`);
      await page.getByLabel("Admin key").waitFor();
    });
    const forged = await fetch(`${gw.url}/admin/api/keys`, {
      headers: { cookie: "mindgw_session=forged-session-id", "x-csrf-token": "anything" },
    });
    expect(forged.status).toBe(401);

    await signInWithKey(adminKey);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const session = (await (await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })).json()) as {
      csrf: string;
    };
    const create = (headers: Record<string, string>) =>
      fetch(`${gw.url}/admin/api/keys`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "csrf-probe", role: "admin" }),
      });
    expect((await create({})).status).toBe(403);
    expect((await create({ "x-csrf-token": `${session.csrf}x` })).status).toBe(403);
    expect((await fetch(`${gw.url}/admin/api/audit`, { headers: { cookie } })).status).toBe(403);
    const keys = (await (
      await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      keys: { name: string }[];
    };
    expect(keys.keys.some((k) => k.name === "csrf-probe")).toBe(false);
    expect((await create({ "x-csrf-token": session.csrf })).status).toBe(201);
    // A session is for /admin only: it is no model credential.
    const asModel = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": session.csrf, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-chat", messages: [{ role: "user", content: "x" }] }),
    });
    expect(asModel.status).toBe(403);
  }, 60_000);

  test("sessions end on sign-out and when their key is revoked", async () => {
    const second = await createKey(gw, { name: "second-admin", role: "admin", models: ["*"] });
    await signInWithKey(second.key);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const { csrf } = (await (
      await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })
    ).json()) as { csrf: string };
    // The open Overview keeps polling: once the session has ended, a poll in flight is refused
    // (401), which the browser logs. Those refusals are the point here; nothing else may be logged.
    await expectingRefusals(async () => {
      const revoke = await fetch(`${gw.url}/admin/api/keys/${second.id}/revoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(revoke.status).toBe(200);
      expect(
        (await fetch(`${gw.url}/admin/api/status`, { headers: { cookie, "x-csrf-token": csrf } })).status,
      ).toBe(401);
      await page.goto(`${gw.url}/admin/overview`);
      await page.getByLabel("Admin key").waitFor();
    }, /status of 401/);

    await signInWithKey(adminKey);
    const mine = `mindgw_session=${(await sessionCookie()).value}`;
    await expectingRefusals(signOutSaysNothing, /status of 401/);
    const after = (await (
      await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie: mine } })
    ).json()) as { signedIn: boolean };
    expect(after.signedIn).toBe(false);
  }, 60_000);

  test("a session that ends while the page is in use (signed out in another tab) says so on the sign-in page", async () => {
    await signInWithKey(adminKey);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const { csrf } = (await (
      await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })
    ).json()) as { csrf: string };
    await expectingRefusals(async () => {
      const out = await fetch(`${gw.url}/admin/auth/logout`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf },
      });
      expect(out.status).toBe(200);
      // The next read the page makes, moving to another page, is refused — unless the page's own
      // report of the sign-in's keystrokes (3 s after them) or a poll was refused first, and the
      // link is gone with the page (seen under CI load): either way the sign-in page says so.
      const workers = page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Workers" });
      await workers.click({ timeout: 5_000 }).catch(() => undefined);
      await page.getByLabel("Admin key").waitFor();
      await page.getByRole("alert").getByText("Your session has ended").waitFor();
    }, /status of 401/);
    await titleIs("Sign in · mindgw admin");
  }, 60_000);

  test("a sign-out that fails says so and stays signed in: the session is still open", async () => {
    await signInWithKey(adminKey);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const port = gw.port;
    // The gateway gone, the page's polls fail too (the browser logs each); then it is back.
    await expectingRefusals(async () => {
      await gw.stop("SIGKILL");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("alert").getByText("Sign-out failed; the session is still open").waitFor();
      expect(await page.getByLabel("Admin key").count()).toBe(0);
      gw = await fx.restart({ port });
      const session = (await (
        await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })
      ).json()) as {
        signedIn: boolean;
      };
      expect(session.signedIn).toBe(true);
      await page.getByRole("heading", { name: "Overview" }).waitFor();
    }, /net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)|Failed to fetch/);
    await expectingRefusals(signOutSaysNothing, /status of 401/);
  }, 90_000);

  test("a sign-out answered after a read was refused still says nothing of a session that ended", async () => {
    await signInWithKey(adminKey);
    const logout = (url: URL) => url.pathname === "/admin/auth/logout";
    // The gateway ends the session; before the page reads its answer, a read the page makes is refused.
    const refusedFirst = async (route: Route) => {
      const response = await route.fetch();
      await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Workers" }).click();
      await page.getByRole("alert").getByText("Your session has ended").waitFor();
      await route.fulfill({ response });
    };
    await page.route(logout, refusedFirst);
    try {
      await expectingRefusals(signOutSaysNothing, /status of 401/);
    } finally {
      await page.unroute(logout, refusedFirst);
    }
  }, 60_000);

  test("single sign-on through an OIDC issuer: allowed group in, others out", async () => {
    await gw.writeConfig(config(gw.url, issuer));
    await waitFor("the OIDC config to be live", async () => {
      const info = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
      return info.oidc;
    });
    await browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(await page.locator(".user").textContent()).toBe("ops@example.com");
    expect(issuer.refusals).toEqual([]);
    // On Activity, the sign-in's user as such, with the id its changes are recorded by.
    await page.goto(`${gw.url}/admin/activity`);
    const signedIn = page
      .locator('tr[data-action="session.sign_in"]')
      .first()
      .locator('[data-caller-id="session:default:ops@example.com"]');
    await signedIn.waitFor();
    expect(await signedIn.textContent()).toBe(
      "ops@example.com single sign-onsession:default:ops@example.com",
    );
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    // As above: a poll in flight when the session ends is refused, and the browser logs it.
    await expectingRefusals(async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      issuer.user = { sub: "u-2", email: "intruder@example.com", groups: ["sales"] };
      await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
      await page.getByRole("alert").getByText("refused this account").waitFor();
    });
    expect((await browser.context.cookies(`${gw.url}/admin/`)).some((c) => c.name === "mindgw_session")).toBe(
      false,
    );

    const actions = (await (
      await fetch(`${gw.url}/admin/api/actions`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      actions: { action: string; actor: string }[];
    };
    expect(actions.actions.some((a) => a.action === "session.sign_in" && a.actor === "ops@example.com")).toBe(
      true,
    );
    expect(actions.actions.some((a) => a.actor === "intruder@example.com")).toBe(false);
  }, 60_000);

  test("the sign-in page says only its own words for ?error=, never a link's text", async () => {
    await browser.context.clearCookies();
    const forged = "Your session expired. Call +1-555-0100 and read out your admin key";
    await page.goto(`${gw.url}/admin/?error=${encodeURIComponent(forged)}`);
    await page.getByLabel("Admin key").waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.content()).not.toContain("555-0100");
    await page.goto(`${gw.url}/admin/?error=sso_expired`);
    await page
      .getByRole("alert")
      .getByText("The sign-in expired or did not start here; try again.")
      .waitFor();
    // The gateway sends codes, not text: a callback that did not start here says so by its code.
    const callback = await fetch(`${gw.url}/admin/auth/callback?state=x&code=y`, { redirect: "manual" });
    expect(callback.headers.get("location")).toBe("/admin/?error=sso_expired");
  }, 60_000);

  test("the sign-in page says why when the session cannot be read: the gateway unreachable, or failing", async () => {
    await browser.context.clearCookies();
    const session = (url: URL) => url.pathname === "/admin/auth/session";
    const unreachable = (route: Route) => route.abort("connectionrefused");
    await page.route(session, unreachable);
    try {
      await expectingRefusals(async () => {
        await page.goto(`${gw.url}/admin/`);
        await page
          .getByRole("alert")
          .getByText(/^The gateway could not be reached to read the session/)
          .waitFor();
      }, /ERR_CONNECTION_REFUSED|Failed to fetch/);
    } finally {
      await page.unroute(session, unreachable);
    }
    const refused = "the sessions could not be read (a test's refusal)";
    await refuseReads(session, refused);
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/`);
      await page.getByRole("alert").getByText(`The gateway could not read the session: ${refused}`).waitFor();
    }, /status of 503/);
    expect(await page.getByLabel("Admin key").count()).toBe(1);
  }, 60_000);

  // Last: it leaves this address refused single sign-on for the rest of the minute.
  test("past the sign-in bound, single sign-on's link comes back to the sign-in page saying when to try again", async () => {
    await gw.writeConfig(config(gw.url, issuer));
    await waitFor("the OIDC config to be live", async () => {
      const info = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
      return info.oidc;
    });
    await browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    const link = page.getByRole("link", { name: "Sign in with single sign-on" });
    await link.waitFor();
    // This address's steps (the tests before counted some): a script's past the bound is the 429.
    await waitFor("the sign-in bound to be reached", async () => {
      const step = await fetch(`${gw.url}/admin/auth/oidc`, { redirect: "manual" });
      return step.status === 429;
    });
    await link.click();
    const said = page
      .getByRole("alert")
      .getByText(/^Too many sign-in attempts from this address; try again in \d+ s\.$/);
    await said.waitFor();
    expect(new URL(page.url()).searchParams.get("error")).toBe("sso_rate_limited");
    expect(await page.getByLabel("Admin key").count()).toBe(1);
  }, 60_000);

  ui.pageStayedOnLoopback();
});
