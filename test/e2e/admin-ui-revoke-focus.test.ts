import { beforeAll, describe, test } from "bun:test";
import type { Page } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { focusReaches } from "./harness/focus.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). Where keyboard focus goes
// when a key's Revoke is pressed from the keyboard: Chromium drops focus from the button while it is
// disabled (counting the key's namesakes), and a row that goes takes focus with it.

const ui = adminUi();
const { signedIn, refuseReads, expectingRefusals } = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

/**
 * Answers the page's next confirm dialog: accepted, or cancelled. Settles once it is answered: the
 * press that opened it has run its course (its count asked and answered), so a next press is not
 * one Revoke ignores while that count is still on its way.
 */
function answerConfirm(accept: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    page.once("dialog", (dialog) => {
      (accept ? dialog.accept() : dialog.dismiss()).then(resolve, reject);
    });
  });
}

describe("/admin in a real browser", () => {
  test("keys: a key alone under its name revoked from the keyboard (a plain confirm): focus on the list, not the top of the page", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "alone-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${made.id}"]`);
    await row.getByRole("button", { name: "Revoke", exact: true }).focus();
    const answered = answerConfirm(true);
    await page.keyboard.press("Enter");
    await answered;
    await row.waitFor({ state: "detached" });
    await page.waitForFunction(() => document.activeElement?.matches("table.keys") === true, undefined, {
      timeout: 15_000,
    });
  }, 60_000);

  test("keys: Revoke's confirm cancelled, or its count refused, keeps focus on Revoke", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "kept-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const revoke = page
      .locator(`tr[data-key-id="${made.id}"]`)
      .getByRole("button", { name: "Revoke", exact: true });
    await revoke.focus();
    const answered = answerConfirm(false);
    await page.keyboard.press("Enter");
    await answered;
    // Focus comes back in an effect once the count is answered: waited for on this row's Revoke.
    await focusReaches(revoke, "focus back on Revoke", 15_000);
    // The namesakes cannot be counted: said so, and focus is still on the Revoke pressed.
    const refused = "the keys could not be read (a test's refusal)";
    await refuseReads((url) => url.pathname === "/admin/api/keys" && url.searchParams.has("name"), refused);
    await expectingRefusals(async () => {
      await page.keyboard.press("Enter");
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    await revoke.and(page.locator(":enabled")).waitFor();
    await focusReaches(revoke, "focus back on Revoke", 15_000);
  }, 60_000);

  ui.pageStayedOnLoopback();
});
