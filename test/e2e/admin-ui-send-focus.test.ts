import { beforeAll, describe, expect, test } from "bun:test";
import type { Locator, Page, Route } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi, WIDE } from "./harness/admin-ui-kit.ts";
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
 * Presses `button` with Enter while its POST to `path` is held, and sees focus leave it for the
 * page as it is disabled; `meanwhile` runs then, before the call goes on to be refused. Resolves
 * once the refusal is said and the button is enabled again (focus given back, if it is, in the
 * same render).
 */
async function refusedWhileHeld(button: Locator, path: string, refusal: RegExp, meanwhile = async () => {}) {
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
    await meanwhile();
    await call.continue();
    await page.getByRole("alert").getByText(refusal).waitFor();
    await waitForOrSay(
      "the button enabled again",
      () => button.isEnabled(),
      () => whereFocusIs(page),
      10_000,
    );
  }, /status of 40[01]/);
}

/** Presses `button` from the keyboard, its call refused: focus is given back to it. */
async function refusedFromKeyboard(button: Locator, path: string, refusal: RegExp) {
  await refusedWhileHeld(button, path, refusal);
  await focusReaches(button, "focus back on the button pressed once its call is refused");
}

/** Signs out and fills the sign-in form with a key the gateway does not know. */
async function signInWithUnknownKey() {
  await page.goto("about:blank");
  await ui.browser.context.clearCookies();
  await page.goto(`${gw.url}/admin/`);
  await page.getByLabel("Admin key").fill("mgw_not-a-key-this-gateway-issued");
  return page.getByRole("button", { name: "Sign in" });
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
    await refusedFromKeyboard(await signInWithUnknownKey(), "/admin/auth/login", /./);
  }, 60_000);

  test("sign-in: the page's blank space clicked while Sign in's call is out leaves focus where the user put it once it is refused", async () => {
    const signIn = await signInWithUnknownKey();
    await refusedWhileHeld(signIn, "/admin/auth/login", /./, async () => {
      // The page's own blank space, no control under it: a click there leaves focus on the page.
      const [x, y] = [4, WIDE.height - 4];
      expect(
        await page.evaluate(([x, y]) => document.elementFromPoint(x ?? 0, y ?? 0)?.tagName, [x, y]),
      ).toMatch(/^(BODY|HTML)$/);
      await page.mouse.click(x, y);
    });
    // Measured once the button is enabled again: focus given back would have been by then.
    expect(await whereFocusIs(page)).toMatch(/^body\b/);
  }, 60_000);

  test("sign-in: Sign in pressed again while its call is out (a double-click) still gets focus back once it is refused", async () => {
    const signIn = await signInWithUnknownKey();
    await refusedWhileHeld(signIn, "/admin/auth/login", /./, async () => {
      // Chromium delivers the press on the disabled button to the page: it is no move of focus.
      const box = await signIn.boundingBox();
      if (box === null) throw new Error("Sign in is not on the page");
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    });
    await focusReaches(signIn, "focus back on Sign in pressed twice once its call is refused");
  }, 60_000);
});

ui.pageStayedOnLoopback();
