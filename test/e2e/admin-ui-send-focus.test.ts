import { beforeAll, describe, expect, test } from "bun:test";
import type { Locator, Page, Route } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { focusReaches, whereFocusIs } from "./harness/focus.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitForOrSay } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). A button disabled while its
// call is on its way (Sign in, Create key, Rotate now, Save limits) pressed from the keyboard, the
// call refused by the gateway: Chromium drops focus from a button as it is disabled, so without
// more it is left on the page itself, and the next Tab starts again from the top (WCAG 2.4.3).
// Focus goes back to the button, the refusal said in an alert.

const ui = adminUi();
const { signedIn, expectingRefusals, fx } = ui;
let gw: GatewayProcess;
let page: Page;
beforeAll(() => {
  ({ gw, page } = ui);
});

/**
 * Presses `button` with Enter while its POST to `path` is held, sees focus leave it for the page
 * as it is disabled, lets the call go on to be refused, and waits for focus back on it.
 */
async function refusedFromKeyboard(button: Locator, path: string, refusal: RegExp) {
  let held: (route: Route) => void = () => {};
  const asked = new Promise<Route>((resolve) => {
    held = resolve;
  });
  const matching = (url: URL) => url.pathname === path;
  const hold = (route: Route) => (route.request().method() === "POST" ? held(route) : route.continue());
  await page.route(matching, hold);
  fx.deferTest(() => page.unroute(matching, hold));
  await expectingRefusals(async () => {
    await button.focus();
    await page.keyboard.press("Enter");
    const call = await asked;
    await waitForOrSay(
      "focus to leave the button as it is disabled",
      () => page.evaluate(() => document.activeElement === document.body),
      () => whereFocusIs(page),
      10_000,
    );
    await call.continue();
    await page.getByRole("alert").getByText(refusal).waitFor();
    await focusReaches(button, "focus back on the button pressed once its call is refused");
  }, /status of 40[01]/);
  expect(await button.isEnabled()).toBe(true);
}

describe("/admin in a real browser", () => {
  test("keys: Create key, Rotate now and Save limits refused by the gateway give focus back to the button pressed", async () => {
    await signedIn();
    const made = await createKey(gw, { name: "refused-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${made.id}"]`);
    await row.waitFor();

    await page.getByRole("button", { name: "New key" }).click();
    const form = page.getByRole("form", { name: "New key" });
    await form.getByLabel("Name").fill("refused-create-ui");
    await form.getByLabel("Expires in").fill("tomorrow"); // the gateway reads no such duration: 400
    await refusedFromKeyboard(
      form.getByRole("button", { name: "Create key" }),
      "/admin/api/keys",
      /expires_in/,
    );
    await form.getByRole("button", { name: "Cancel" }).click();

    await row.getByRole("button", { name: "Rotate" }).click();
    await row.getByLabel("Grace").fill("forever"); // no duration either: 400
    await refusedFromKeyboard(
      row.getByRole("button", { name: "Rotate now" }),
      `/admin/api/keys/${made.id}/rotate`,
      /grace/,
    );
    await row.getByRole("button", { name: "Cancel" }).click();

    await row.getByRole("button", { name: "Limits" }).click();
    const limits = page.getByRole("form", { name: "Change limits" });
    await limits.getByLabel("Models (globs, comma-separated)").fill(""); // a key needs one: 400
    await refusedFromKeyboard(
      limits.getByRole("button", { name: "Save limits" }),
      `/admin/api/keys/${made.id}/limits`,
      /at least one model glob/,
    );
  }, 60_000);

  test("sign-in: Sign in refused (a key the gateway does not know) gives focus back to Sign in", async () => {
    await page.goto("about:blank");
    await ui.browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    await page.getByLabel("Admin key").fill("mgw_not-a-key-this-gateway-issued");
    await refusedFromKeyboard(page.getByRole("button", { name: "Sign in" }), "/admin/auth/login", /./);
  }, 60_000);
});

ui.pageStayedOnLoopback();
