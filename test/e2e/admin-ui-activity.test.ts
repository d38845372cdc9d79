import { beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitForOrSay } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The activity page: who made
// each change.

const ui = adminUi();
const {
  signedIn,
  signInWithKey,
  shoot,
  holdRequests,
  refuseReads,
  expectingRefusals,
  loadOlderFromKeyboard,
} = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

describe("/admin in a real browser", () => {
  test("activity: who made each change, readably, its id beside; choosing one shows only that caller's changes, by id", async () => {
    await signedIn();
    // Two admin keys of one name: told apart by their ids.
    const first = await createKey(gw, { name: "twin-ops", role: "admin", models: ["*"] });
    const second = await createKey(gw, { name: "twin-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: first.key }, { name: "made-by-first" });
    await createKey({ url: gw.url, adminKey: second.key }, { name: "made-by-second" });
    await page.goto(`${gw.url}/admin/activity`);
    const made = (name: string) => page.locator('tr[data-action="key.create"]', { hasText: name });
    const firstWho = made("made-by-first").locator("[data-caller-id]");
    await firstWho.waitFor();
    expect(await firstWho.getAttribute("data-caller-id")).toBe(first.id);
    expect(await firstWho.textContent()).toBe(`twin-ops key${first.id}`);
    expect(await made("made-by-second").locator("[data-caller-id]").getAttribute("data-caller-id")).toBe(
      second.id,
    );
    await firstWho.getByRole("button", { name: "twin-ops" }).click();
    await made("made-by-second").waitFor({ state: "detached" });
    await made("made-by-first").waitFor();
    const actors = await page
      .locator("table.actions-table tbody [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(new Set(actors)).toEqual(new Set([first.id]));
    await shoot("activity-one-caller-1280");
    await page.getByRole("button", { name: "Show every caller" }).focus();
    await page.keyboard.press("Enter");
    await made("made-by-second").waitFor();
    // The button is gone; focus is on the list it widened, not fallen to the top of the page.
    expect(await page.getByRole("button", { name: "Show every caller" }).count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.classList.contains("actions-table"))).toBe(true);
  }, 60_000);

  test("activity: a caller chosen from the keyboard keeps focus on the name pressed, or on the list when its row is not in the caller's newest page", async () => {
    await signedIn();
    const chosen = await createKey(gw, { name: "focus-ops", role: "admin", models: ["*"] });
    const as = { url: gw.url, adminKey: chosen.key };
    await createKey(as, { name: "made-first-by-focus-ops" });
    // More than a page (50) of newer changes by the same caller, then one by another above them.
    for (let i = 0; i < 50; i += 10)
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => createKey(as, { name: `focus-change-${i + j}` })),
      );
    await createKey(gw, { name: "made-after-focus-ops" });
    await page.goto(`${gw.url}/admin/activity`);
    const made = (name: string) => page.locator('tr[data-action="key.create"]', { hasText: name });
    const focused = () =>
      page.evaluate(() => {
        const at = document.activeElement;
        const caller = at?.closest("[data-caller-id]")?.getAttribute("data-caller-id");
        return caller ? `${at?.tagName} ${caller}` : `${at?.tagName} ${at?.className}`;
      });
    const onlyChosen = page.locator(`[data-actor="${chosen.id}"]`);

    // The row pressed stays in the narrowed list (it moves up, past the row that goes): focus stays on it.
    await made("focus-change-").first().getByRole("button", { name: "focus-ops" }).focus();
    await page.keyboard.press("Enter");
    await made("made-after-focus-ops").waitFor({ state: "detached" });
    await onlyChosen.waitFor();
    // Focus is kept in an effect after the narrowed list is drawn: waited for, not read at once.
    await waitForOrSay(
      "focus on the name pressed",
      async () => (await focused()) === `BUTTON ${chosen.id}`,
      focused,
    );

    // Every caller again, then the caller chosen on a row older than its 50 newest changes: that
    // row goes as the list narrows, and focus goes to the list, not to the top of the page.
    await page.getByRole("button", { name: "Show every caller" }).click();
    await made("made-after-focus-ops").waitFor();
    await page.getByRole("button", { name: "Load older" }).click();
    const oldest = made("made-first-by-focus-ops");
    await oldest.getByRole("button", { name: "focus-ops" }).focus();
    await page.keyboard.press("Enter");
    await onlyChosen.waitFor();
    await oldest.waitFor({ state: "detached" });
    await made("made-after-focus-ops").waitFor({ state: "detached" });
    await waitForOrSay("focus on the list", async () => (await focused()) === "TABLE actions-table", focused);
  }, 60_000);

  test("activity: the caller chosen is in the address, kept on reload; Back and Forward move between it and every caller", async () => {
    await signedIn();
    const chosen = await createKey(gw, { name: "address-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: chosen.key }, { name: "made-by-address-ops" });
    await createKey(gw, { name: "made-after-address-ops" });
    await page.goto(`${gw.url}/admin/activity`);
    const made = (name: string) => page.locator('tr[data-action="key.create"]', { hasText: name });
    const onlyChosen = page.locator(`[data-actor="${chosen.id}"]`);
    await made("made-by-address-ops").getByRole("button", { name: "address-ops" }).click();
    await made("made-after-address-ops").waitFor({ state: "detached" });
    // The address is written by an effect after the narrowed list's render: waited for.
    await waitForOrSay(
      "the caller in the address",
      () => new URL(page.url()).search === `?actor=${chosen.id}`,
      () => page.url(),
    );
    await page.reload();
    await onlyChosen.waitFor();
    await made("made-by-address-ops").waitFor();
    expect(await made("made-after-address-ops").count()).toBe(0);
    // The caller is named from its changes, as when chosen in a row, not by its id alone.
    expect(await onlyChosen.locator("[data-caller-id]").textContent()).toBe(`address-ops key${chosen.id}`);
    await page.goBack();
    await made("made-after-address-ops").waitFor();
    expect(await onlyChosen.count()).toBe(0);
    await page.goForward();
    await made("made-after-address-ops").waitFor({ state: "detached" });
    await onlyChosen.waitFor();
  }, 60_000);

  test("activity: Load older pressed from the keyboard keeps focus on it, or on the list once the last page is in", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    // More than a page of changes (50), so Load older is there, run alone too.
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `paging-change-${i + j}` })),
      );
    await page.goto(`${gw.url}/admin/activity`);
    // The button goes with the last page: focus on the list it extended, not the top of the page.
    await loadOlderFromKeyboard("table.actions-table tbody tr", "table.actions-table");
  }, 60_000);

  test("activity: a Load older whose page cannot be read, pressed from the keyboard, keeps focus on it", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    // More than a page of changes (50), so Load older is there, run alone too.
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `unread-page-${i + j}` })),
      );
    await page.goto(`${gw.url}/admin/activity`);
    const older = page.getByRole("button", { name: "Load older" });
    const refused = "the older admin actions could not be read (a test's refusal)";
    await refuseReads(
      (url) => url.pathname === "/admin/api/actions" && url.searchParams.has("before"),
      refused,
    );
    await older.focus();
    await expectingRefusals(async () => {
      await page.keyboard.press("Enter");
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    // The list is as it was; the button, enabled again, has focus back, not the top of the page.
    await older.and(page.locator(":enabled")).waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Load older", undefined, {
      timeout: 15_000,
    });
  }, 60_000);

  test("activity: the page clicked while Load older's page is on its way leaves focus where the user put it", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    // More than two pages of changes (50 each): Load older is still there once the second is in.
    for (let i = 0; i < 110; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `clicked-away-${i + j}` })),
      );
    await page.goto(`${gw.url}/admin/activity`);
    const rows = page.locator("table.actions-table tbody tr");
    await rows.nth(49).waitFor();
    const older = page.getByRole("button", { name: "Load older" });
    const { asked } = await holdRequests(
      (url) => url.pathname === "/admin/api/actions" && url.searchParams.has("before"),
    );
    await older.focus();
    await page.keyboard.press("Enter");
    const call = await asked;
    // The header's name is no control: clicked, it leaves focus on the page itself.
    await page.locator(".top .brand").click();
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    await call.continue();
    await rows.nth(50).waitFor();
    // Enabled once loading is over, in the render that would give focus back.
    await older.and(page.locator(":enabled")).waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("BODY");
  }, 60_000);

  test("activity: older changes still on their way when a caller is chosen are dropped, never added under that caller's", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    // More than a page of changes (50), the newest by a caller of its own.
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `older-change-${i + j}` })),
      );
    const late = await createKey(target, { name: "late-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: late.key }, { name: "made-by-late-ops" });
    const older = await holdRequests(
      (url) => url.pathname === "/admin/api/actions" && url.searchParams.has("before"),
    );
    await page.goto(`${gw.url}/admin/activity`);
    const another = page.locator('tr[data-action="key.create"]', { hasText: "older-change-54" });
    await another.waitFor();
    await page.getByRole("button", { name: "Load older" }).click();
    await older.asked;
    const made = page.locator('tr[data-action="key.create"]', { hasText: "made-by-late-ops" });
    await made.getByRole("button", { name: "late-ops" }).click();
    await another.waitFor({ state: "detached" });
    // The older page was given up as the caller was chosen: its answer can never be added.
    await older.givenUp;
    const actors = await page
      .locator("table.actions-table tbody [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(actors).toEqual([late.id]);
  }, 60_000);

  test("activity: changes it cannot read are said so, never shown as none, nor as the chosen caller's", async () => {
    await signedIn();
    const refused = "the admin actions could not be read (a test's refusal)";
    const mine = await createKey(gw, { name: "unread-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: mine.key }, { name: "made-by-unread-ops" });
    await page.goto(`${gw.url}/admin/activity`);
    const made = page.locator('tr[data-action="key.create"]', { hasText: "made-by-unread-ops" });
    await made.waitFor();
    // The chosen caller's changes cannot be read: the list before (every caller's) is not shown as theirs.
    await refuseReads(
      (url) => url.pathname === "/admin/api/actions" && url.searchParams.has("actor"),
      refused,
    );
    await expectingRefusals(async () => {
      await made.getByRole("button", { name: "unread-ops" }).click();
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await page.locator("table.actions-table tbody tr").count()).toBe(0);
    expect(await page.getByText("No admin changes yet.").count()).toBe(0);
    // None read at all: said so, not "No admin changes yet."
    await refuseReads((url) => url.pathname === "/admin/api/actions", refused);
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/activity`);
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await page.getByText("No admin changes yet.").count()).toBe(0);
  }, 60_000);

  test("activity: an admin key in a tenant sees its tenant's changes alone", async () => {
    await signedIn();
    const ops = await createKey(gw, {
      name: "team-act-ops",
      tenant: "team-act",
      role: "admin",
      models: ["*"],
    });
    await createKey({ url: gw.url, adminKey: ops.key }, { name: "made-in-team-act" });
    await createKey(gw, { name: "made-in-team-other", tenant: "team-other" });
    try {
      await signInWithKey(ops.key);
      await page.goto(`${gw.url}/admin/activity`);
      await page.locator('tr[data-action="key.create"]', { hasText: "made-in-team-act" }).waitFor();
      const targets = await page.locator("table.actions-table tbody tr").allTextContents();
      expect(targets.some((row) => row.includes("made-in-team-other"))).toBe(false);
      expect(targets.some((row) => row.includes("older-change-"))).toBe(false);
    } finally {
      await signInWithKey(adminKey);
    }
  }, 60_000);

  test("activity: an admin in a tenant pages its tenant's changes by sealed ids, another tenant's between them", async () => {
    const ops = await createKey(gw, { name: "paging-a-ops", role: "admin", tenant: "paging-a" });
    const target = { url: gw.url, adminKey };
    // More than a page (50) of paging-a's changes, paging-b's between them.
    for (let i = 0; i < 55; i += 11)
      for (const tenant of ["paging-a", "paging-b"])
        await Promise.all(
          Array.from({ length: 11 }, (_, j) =>
            createKey(target, { name: `${tenant}-change-${i + j}`, tenant }),
          ),
        );
    try {
      await signInWithKey(ops.key);
      const older = page.waitForRequest((request) => {
        const url = new URL(request.url());
        return url.pathname === "/admin/api/actions" && url.searchParams.has("before");
      });
      await page.goto(`${gw.url}/admin/activity`);
      await loadOlderFromKeyboard("table.actions-table tbody tr", "table.actions-table");
      // The id it pages from is sealed text, not the row's number.
      expect(new URL((await older).url()).searchParams.get("before")).not.toMatch(/^\d+$/);
      const rows = await page.locator("table.actions-table tbody tr").allTextContents();
      expect(rows.filter((row) => row.includes("paging-a-change-")).length).toBe(55);
      expect(rows.some((row) => row.includes("paging-b-change-"))).toBe(false);
    } finally {
      await signInWithKey(adminKey);
    }
  }, 60_000);

  ui.pageStayedOnLoopback();
});
