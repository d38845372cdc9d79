/**
 * Use of the console that sends no call (docs/ADMIN-UI.md, `session_idle_timeout`): reading a
 * request's detail, typing a filter before Apply. In Chromium against `dist/mindgw` on a wall clock
 * the test steps (libfaketime, skewed-clock.ts), the page's timers on `page.clock`. Such use used to
 * count for nothing, so an admin at work was signed out "for inactivity".
 */
import { afterAll, expect, test } from "bun:test";
import type { SessionInfo } from "../../src/admin-ui/api.ts";
import { auditRow } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { gatewayClockAhead } from "./harness/gateway-clock.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";

const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
const clock = steppableClock(clockDir.path, 0);
const ui = adminUi({ env: clock.env, adminUi: { session_idle_timeout: "15m" } });

test("a request's detail read and a filter typed at minute 14 of a 15-minute timeout, with no call, keep the session past minute 15", async () => {
  const { page } = ui;
  await page.clock.install();
  await ui.signInWithKey(ui.adminKey);
  const { response } = await ui.chat(ui.adminKey);
  const requestId = response.headers.get("x-request-id") ?? "";
  // The page reads the log once: the request's row written first (the audit log writes in batches).
  await auditRow(ui.gw, requestId);
  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByRole("button", { name: `Open request ${requestId}` }).click();
  const detail = page.locator("section.detail");
  await detail.getByText("hello from the admin test").first().waitFor(); // its bodies read: a call
  // Minute 14 on both clocks: the admin reads the detail (a click in it) and types a model into the
  // filter without applying it. Neither sends a call of its own; the page reports the use.
  await gatewayClockAhead(clock, ui.gw.url, 14);
  await page.clock.fastForward("14:00");
  const reported = page.waitForResponse(
    (answer) =>
      answer.url().endsWith("/admin/auth/session") && answer.request().headers()["x-user-activity"] === "1",
    { timeout: 30_000 },
  );
  await detail.getByRole("heading", { name: `Request ${requestId}` }).click();
  await page.getByLabel("Model").fill("mock-chat");
  const report = await reported;
  expect(report.request().headers()["x-csrf-token"]).toBeTruthy();
  expect(((await report.json()) as SessionInfo).signedIn).toBe(true);
  // Minute 16: past the idle end the page was told at sign-in. Its check asks, and the session,
  // used at minute 14, is open: the page stays, and the filter applies.
  await gatewayClockAhead(clock, ui.gw.url, 16);
  const checked = page.waitForResponse((answer) => answer.url().endsWith("/admin/auth/session"), {
    timeout: 30_000,
  });
  await page.clock.fastForward("02:00");
  const answer = (await (await checked).json()) as SessionInfo;
  expect(answer).toMatchObject({ signedIn: true });
  expect(answer.idleEndsIn).toBeGreaterThan(12 * 60_000);
  const listed = page.waitForResponse((r) => r.url().includes("/admin/api/audit?"), { timeout: 30_000 });
  await page.getByRole("button", { name: "Apply" }).click();
  expect((await listed).status()).toBe(200);
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  expect(await page.getByText("signed out for inactivity").count()).toBe(0);
}, 180_000);

ui.pageStayedOnLoopback();
