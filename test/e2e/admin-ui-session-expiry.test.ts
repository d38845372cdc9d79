/**
 * The console's absolute session end (`admin_ui.session_ttl`, docs/ADMIN-UI.md) on a page that polls
 * nothing (Requests, live mode off), in Chromium against `dist/mindgw` on a wall clock the test
 * steps (libfaketime, skewed-clock.ts), the page's timers on `page.clock`. The page used to ask the
 * gateway only at the idle end it was told, so a session that expired sooner stayed on screen
 * until a click.
 */
import { afterAll, test } from "bun:test";
import { SESSION_ENDED } from "../../src/admin-ui/session-unread.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { gatewayClockAhead } from "./harness/gateway-clock.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";

const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
const clock = steppableClock(clockDir.path, 0);
// The session ends at 3 minutes, long before its idle end (the default 30).
const ui = adminUi({ env: clock.env, adminUi: { session_ttl: "3m" } });

test("a page that polls nothing goes to sign-in once session_ttl has passed, though its idle end is far off", async () => {
  const { page } = ui;
  await page.clock.install();
  await ui.signInWithKey(ui.adminKey);
  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  await gatewayClockAhead(clock, ui.gw.url, 4);
  await page.clock.fastForward("03:30");
  await page.getByText(SESSION_ENDED).waitFor({ timeout: 30_000 });
  await page.getByLabel("Admin key").waitFor();
}, 120_000);

ui.pageStayedOnLoopback();
