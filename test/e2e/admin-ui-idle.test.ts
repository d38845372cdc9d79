/**
 * The console's idle timeout (`admin_ui.session_idle_timeout`, docs/ADMIN-UI.md), in Chromium
 * against `dist/mindgw` on a wall clock the test steps (libfaketime, skewed-clock.ts): minutes pass
 * on the gateway in a moment. The Overview polls by itself all along; only a click in the page is use.
 */
import { afterAll, expect, test } from "bun:test";
import type { Page, Response as PwResponse } from "playwright-core";
import { adminUi, NARROW, WIDE } from "./harness/admin-ui-kit.ts";
import { gatewayClockAhead } from "./harness/gateway-clock.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";

const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
/** The gateway's wall clock: the host's at the start, stepped ahead by the test. */
const clock = steppableClock(clockDir.path, 0);
const ui = adminUi({ env: clock.env, adminUi: { session_idle_timeout: "5m" } });

/** Steps the gateway's wall clock `minutes` ahead of the host's and waits until it reads so. */
const gatewayAt = (minutes: number) => gatewayClockAhead(clock, ui.gw.url, minutes);

/** The next of the Overview's own polls the gateway answered on its clock `minutes` ahead. */
const pollAnsweredAt = (page: Page, minutes: number) =>
  page.waitForResponse(
    (response) =>
      response.url().endsWith("/admin/api/status") &&
      Date.parse(response.headers().date ?? "") - Date.now() > (minutes - 0.5) * 60_000,
    { timeout: 30_000 },
  );

test("a session only the page's own polling uses ends after session_idle_timeout and the page says so; a click keeps it", async () => {
  const { page } = ui;
  await ui.signInWithKey(ui.adminKey);
  await gatewayAt(4);
  // Four minutes of polling alone; then a click in the page: its next call says so, and is stored.
  const used = page.waitForRequest(
    (request) => request.url().includes("/admin/api/") && request.headers()["x-user-activity"] === "1",
    { timeout: 30_000 },
  );
  await page.getByRole("heading", { name: "Overview" }).click();
  expect((await (await used).response())?.status()).toBe(200);
  // Eight minutes after sign-in, four after the click: still signed in, polling on without the header.
  await gatewayAt(8);
  const polled = await pollAnsweredAt(page, 8);
  expect(polled.status()).toBe(200);
  expect(polled.request().headers()["x-user-activity"]).toBeUndefined();
  // Six minutes after the click, with nothing but polls since: the next polls are refused (the
  // first the gateway answered says it ended for inactivity), and the page goes back to sign-in
  // saying why.
  const refused: string[] = [];
  const note = (response: PwResponse) => {
    if (response.status() === 401) refused.push(response.headers()["x-session-ended"] ?? "");
  };
  page.on("response", note);
  await ui.expectingRefusals(async () => {
    await gatewayAt(10);
    await page.getByText("signed out for inactivity").waitFor({ timeout: 30_000 });
  }, /status of 401/);
  page.off("response", note);
  expect(refused).toContain("idle");
  await page.getByLabel("Admin key").waitFor();
  // Ended for good: the cookie the browser still holds is refused, and a new sign-in works.
  const cookie = await ui.sessionCookie();
  const probe = await fetch(`${ui.gw.url}/admin/auth/session`, {
    headers: { cookie: `mindgw_session=${cookie.value}` },
  });
  expect(await probe.json()).toMatchObject({ signedIn: false });
  await ui.signInWithKey(ui.adminKey);
}, 180_000);

test("a page that polls nothing goes to sign-in once its idle end has passed, saying why; opened after it, says so too", async () => {
  const { page } = ui;
  // The page's own timers on a clock the test moves on with the gateway's (its check of the idle end).
  await page.clock.install();
  await ui.signInWithKey(ui.adminKey); // the gateway's clock 10 min ahead: used then
  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  await gatewayAt(16);
  await page.clock.fastForward("06:00");
  await page.getByText("signed out for inactivity").waitFor({ timeout: 30_000 });
  // Signed in again, the tab left, and opened again once the session's idle end has passed.
  await ui.signInWithKey(ui.adminKey);
  await page.goto("about:blank");
  await gatewayAt(22);
  await page.goto(`${ui.gw.url}/admin/`);
  await page.getByText("signed out for inactivity").waitFor({ timeout: 30_000 });
  await page.getByLabel("Admin key").waitFor();
  // The longer notice fits a phone's width as the others do.
  await page.setViewportSize(NARROW);
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
  ).toBeLessThanOrEqual(0);
  await ui.shoot("sign-in-idle-390");
  await page.setViewportSize(WIDE);
}, 180_000);

test("Sign out pressed on a screen whose session already ended for inactivity: the sign-in page says so, and the next sign-in shows no failed sign-out", async () => {
  const { page } = ui;
  await ui.signInWithKey(ui.adminKey); // the gateway's clock 22 min ahead: used then
  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  // The idle end passes on the gateway; the page, which polls nothing, has not asked yet.
  await gatewayAt(28);
  await ui.expectingRefusals(async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("signed out for inactivity").waitFor({ timeout: 30_000 });
  }, /status of 401/);
  // Nothing failed: the session was over. Signed in again on this page (not reloaded), it says
  // nothing of a sign-out.
  await page.getByLabel("Admin key").fill(ui.adminKey);
  await page.getByLabel("Admin key").press("Enter");
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  expect(await page.getByText("Sign-out failed").count()).toBe(0);
}, 120_000);

ui.pageStayedOnLoopback();
