import { beforeAll, describe, expect, test } from "bun:test";
import type { Page, Route } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { focusReaches } from "./harness/focus.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The keys page's
// forms (new key, limits, rotate) and where keyboard focus goes as they and the Revoke choice
// open and close.

const ui = adminUi();
const { chat, statusOf, expectingRefusals, signedIn, fx } = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

describe("/admin in a real browser", () => {
  test("the key form: limits it cannot read are refused in the form; a refusal keeps what was typed", async () => {
    await signedIn();
    /** The key of that name, as the API lists it (undefined: none was created). */
    const named = async (name: string) =>
      (
        (await (
          await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
        ).json()) as {
          keys: { name: string; rpm: number | null; tpm: number | null; budget_usd: number | null }[];
        }
      ).keys.find((k) => k.name === name);
    await page.goto(`${gw.url}/admin/keys`);
    await page.getByRole("button", { name: "New key" }).click();
    const form = page.getByRole("form", { name: "New key" });
    await form.getByLabel("Name").fill("limits-ui");
    await form.getByLabel("Requests/min").fill("60/min");
    await form.getByLabel("Tokens/min").fill("10k");
    await form.getByLabel("Budget (USD)").fill("$5");
    const refusal = form.getByRole("alert");
    for (const [field, fixed, said] of [
      ["Requests/min", "60", 'Requests/min: "60/min" is not a whole number'],
      ["Tokens/min", "10000", 'Tokens/min: "10k" is not a whole number'],
      ["Budget (USD)", "5", 'Budget (USD): "$5" is not a dollar amount'],
    ] as const) {
      await form.getByRole("button", { name: "Create key" }).click();
      await refusal.getByText(said).waitFor();
      expect(await named("limits-ui")).toBeUndefined();
      await form.getByLabel(field).fill(fixed);
    }
    await form.getByRole("button", { name: "Create key" }).click();
    await page.locator("[data-new-key]").waitFor();
    expect(await named("limits-ui")).toMatchObject({
      rpm: 60,
      tpm: 10000,
      budget_usd: 5,
    });
    await page.getByRole("button", { name: "Done" }).click();

    // Refused by the gateway (an expiry it cannot read): said, and the form still holds it all.
    await page.getByRole("button", { name: "New key" }).click();
    await form.getByLabel("Name").fill("expiry-ui");
    await form.getByLabel("Requests/min").fill("30");
    await form.getByLabel("Expires in").fill("tomorrow");
    await expectingRefusals(async () => {
      await form.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("alert").getByText("expires_in").waitFor();
    }, /status of 400/);
    expect(await form.getByLabel("Name").inputValue()).toBe("expiry-ui");
    expect(await form.getByLabel("Requests/min").inputValue()).toBe("30");
    expect(await form.getByLabel("Expires in").inputValue()).toBe("tomorrow");
    await form.getByLabel("Expires in").fill("1d");
    await form.getByRole("button", { name: "Create key" }).click();
    await page.locator("[data-new-key]").waitFor();
    expect(await form.count()).toBe(0); // created: the form is cleared and closed
    expect(await named("expiry-ui")).toMatchObject({ rpm: 30 });
    await page.getByRole("button", { name: "Done" }).click();
  }, 60_000);

  test("keys: change a key's limits from its row; the key is held to them at once, and the change is on record", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const limited = await createKey(target, { name: "limits-change-ui", rpm: 1 });
    expect(await statusOf(chat(limited.key))).toBe(200);
    expect(await statusOf(chat(limited.key))).toBe(429);
    const shownKey = async () =>
      (await (
        await fetch(`${gw.url}/admin/api/keys/${limited.id}`, {
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).json()) as { rpm: number | null; budget_usd: number | null; models: string[] };

    await page.goto(`${gw.url}/admin/keys`);
    await page.locator(`tr[data-key-id="${limited.id}"]`).getByRole("button", { name: "Limits" }).click();
    const form = page.getByRole("form", { name: "Change limits" });
    expect(await form.getByLabel("Requests/min").inputValue()).toBe("1");
    // A limit it cannot read is refused in the form, nothing sent.
    await form.getByLabel("Budget (USD)").fill("$5");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.getByRole("alert").getByText('Budget (USD): "$5" is not a dollar amount').waitFor();
    expect(await shownKey()).toMatchObject({ rpm: 1, budget_usd: null });
    // Emptied: the rpm is lifted; the budget set.
    await form.getByLabel("Requests/min").fill("");
    await form.getByLabel("Budget (USD)").fill("5");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    expect(await shownKey()).toMatchObject({ rpm: null, budget_usd: 5, models: ["*"] });
    expect(await statusOf(chat(limited.key))).toBe(200);
    await page.goto(`${gw.url}/admin/activity`);
    await page.locator('tr[data-action="key.limits"]').first().waitFor();
  }, 60_000);

  test("keys: a limit the form shows as the gateway has it, left alone, never blocks a change of another", async () => {
    await signedIn();
    // A budget set through the API or `mindgw keys update` that the form shows as "1e-7".
    const tiny = await createKey(gw, { name: "tiny-budget-ui", budget_usd: 0.0000001 });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${tiny.id}"]`);
    await row.getByRole("button", { name: "Limits" }).click();
    const form = page.getByRole("form", { name: "Change limits" });
    await form.getByLabel("Requests/min").fill("5");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    await row.getByText("5 rpm").waitFor();
    const key = (await (
      await fetch(`${gw.url}/admin/api/keys/${tiny.id}`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { rpm: number | null; budget_usd: number | null };
    expect(key).toMatchObject({ rpm: 5, budget_usd: 0.0000001 });
  }, 60_000);

  test("keys: Create key, Rotate now and Save limits pressed again while the first is under way are sent once", async () => {
    await signedIn();
    const sent: string[] = [];
    const held: Route[] = [];
    const changes = (url: URL) =>
      url.pathname === "/admin/api/keys" ||
      url.pathname.endsWith("/rotate") ||
      url.pathname.endsWith("/limits");
    const hold = (route: Route) => {
      if (route.request().method() !== "POST") return void route.continue();
      sent.push(new URL(route.request().url()).pathname);
      held.push(route);
    };
    await page.route(changes, hold);
    fx.deferTest(() => page.unroute(changes, hold));
    /** Presses `button` while its first press is held, then lets the held calls through. */
    const pressTwice = async (button: ReturnType<Page["locator"]>) => {
      const before = sent.length;
      await button.click();
      await waitFor("the first press to be sent", () => sent.length > before);
      await button.click({ force: true }); // disabled or not
      await page.evaluate(() => fetch("/healthz").then((r) => r.status)); // a round trip after it
      const count = sent.length - before;
      for (const route of held.splice(0)) await route.continue();
      return count;
    };
    const named = async () =>
      (
        (await (
          await fetch(`${gw.url}/admin/api/keys?name=twice-ui`, {
            headers: { authorization: `Bearer ${adminKey}` },
          })
        ).json()) as { keys: unknown[] }
      ).keys.length;
    await page.goto(`${gw.url}/admin/keys`);
    await page.getByRole("button", { name: "New key" }).click();
    const form = page.getByRole("form", { name: "New key" });
    await form.getByLabel("Name").fill("twice-ui");
    expect(await pressTwice(form.getByRole("button", { name: "Create key" }))).toBe(1);
    await page.locator("[data-new-key]").waitFor();
    expect(await named()).toBe(1);
    await page.getByRole("button", { name: "Done" }).click();
    const row = page.locator('tr[data-key-name="twice-ui"]');
    await row.getByRole("button", { name: "Rotate" }).click();
    expect(await pressTwice(row.getByRole("button", { name: "Rotate now" }))).toBe(1);
    await page.locator("[data-new-key]").waitFor();
    expect(await named()).toBe(2);
    await page.getByRole("button", { name: "Done" }).click();
    // A limit changed twice over is one change on record (Activity's key.limits), not two.
    const newest = page.locator('tr[data-key-name="twice-ui"]').first();
    await newest.getByRole("button", { name: "Limits" }).click();
    const limits = page.getByRole("form", { name: "Change limits" });
    await limits.getByLabel("Requests/min").fill("9");
    expect(await pressTwice(limits.getByRole("button", { name: "Save limits" }))).toBe(1);
    await limits.waitFor({ state: "detached" });
  }, 60_000);

  test("keys: Limits opens with its first field focused; Escape closes it and focus is back on the row's Limits", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const limits = page.locator(`tr[data-key-id="${made.id}"]`).getByRole("button", { name: "Limits" });
    await limits.click();
    const form = page.getByRole("form", { name: "Change limits" });
    await form.waitFor();
    await focusReaches(form.getByLabel("Models (globs, comma-separated)"), "focus on it");
    await page.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
    // Focus goes back in an effect after the form is gone: waited for, not read the moment it goes.
    await focusReaches(limits, "focus back on the row's Limits");
    // Saved with Enter: closed, focus back on the row's Limits too.
    await limits.press("Enter");
    await form.getByLabel("Requests/min").fill("7");
    await form.getByLabel("Requests/min").press("Enter");
    await form.waitFor({ state: "detached" });
    await page.locator(`tr[data-key-id="${made.id}"]`).getByText("7 rpm").waitFor();
    await focusReaches(limits, "focus back on the row's Limits after a save");
  }, 60_000);

  test("keys: Done on a new key puts focus back on New key, or on the row's Rotate after a rotation", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    const newKey = page.getByRole("button", { name: "New key" });
    await newKey.click();
    await page.getByRole("form", { name: "New key" }).getByLabel("Name").fill("done-focus-ui");
    await page.getByRole("button", { name: "Create key" }).click();
    const done = page.getByRole("button", { name: "Done" });
    await done.click();
    await done.waitFor({ state: "detached" });
    await focusReaches(newKey, "focus on it");
    const rotate = page.locator('tr[data-key-name="done-focus-ui"]').getByRole("button", { name: "Rotate" });
    await rotate.click();
    await page.getByRole("button", { name: "Rotate now" }).click();
    await done.click();
    await done.waitFor({ state: "detached" });
    // The rotated key's row (the old key, in its grace window): the newer key is listed above it.
    const rotated = page
      .locator('tr[data-key-name="done-focus-ui"]')
      .last()
      .getByRole("button", { name: "Rotate" });
    await focusReaches(rotated, "focus on it");
  }, 60_000);

  test("keys: New key opens its form with Name focused; Escape and Cancel close it with focus back on New key", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    const newKey = page.getByRole("button", { name: "New key" });
    const form = page.getByRole("form", { name: "New key" });
    await newKey.focus();
    await page.keyboard.press("Enter");
    await form.waitFor();
    await focusReaches(form.getByLabel("Name"), "focus on it");
    await page.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
    await focusReaches(newKey, "focus on it");
    await page.keyboard.press("Enter");
    // The form's own focus (an effect after its render) is waited for first: Cancel focused
    // before it would lose focus to the Name field, and Enter would press nothing asked.
    await focusReaches(form.getByLabel("Name"), "focus on it");
    await form.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await form.waitFor({ state: "detached" });
    await focusReaches(newKey, "focus on it");
  }, 60_000);

  test("keys: Rotate opens its grace field focused; Escape and Cancel close it with focus back on the row's Rotate", async () => {
    await signedIn();
    await createKey(gw, { name: "rotate-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator('tr[data-key-name="rotate-focus-ui"]');
    const rotate = row.getByRole("button", { name: "Rotate", exact: true });
    const grace = row.getByLabel("Grace");
    await rotate.focus();
    await page.keyboard.press("Enter");
    await grace.waitFor();
    await focusReaches(grace, "focus on it");
    await page.keyboard.press("Escape");
    await grace.waitFor({ state: "detached" });
    await focusReaches(rotate, "focus on it");
    await page.keyboard.press("Enter");
    // Cancel focused before the grace field's own focus (an effect after its render) would lose
    // it to that field, and Enter would rotate the key: a second row of the name.
    await focusReaches(grace, "focus on it");
    await row.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await grace.waitFor({ state: "detached" });
    await focusReaches(rotate, "focus on it");
  }, 60_000);

  test("keys: a name's Revoke choice takes focus as it opens; Escape and Cancel put it back on the row's Revoke", async () => {
    await signedIn();
    await createKey(gw, { name: "revoke-focus-ui" });
    await createKey(gw, { name: "revoke-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator('tr[data-key-name="revoke-focus-ui"]').first();
    const revoke = row.getByRole("button", { name: "Revoke", exact: true });
    const choice = row.locator("fieldset.revoke-choice");
    await revoke.focus();
    await page.keyboard.press("Enter");
    await choice.waitFor();
    // On the choice, not on any of its buttons: Enter pressed again revokes nothing unasked.
    await focusReaches(choice, "focus on it");
    await page.keyboard.press("Escape");
    await choice.waitFor({ state: "detached" });
    await focusReaches(revoke, "focus on it");
    await page.keyboard.press("Enter");
    await focusReaches(choice, "focus on it");
    await choice.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await choice.waitFor({ state: "detached" });
    await focusReaches(revoke, "focus on it");
    expect(await page.locator('tr[data-key-name="revoke-focus-ui"]').count()).toBe(2);
  }, 60_000);

  test("keys: a key revoked from the keyboard leaves focus on the list, not the top of the page, as its row goes", async () => {
    await signedIn();
    const kept = await createKey(gw, { name: "revoked-focus-ui" });
    const ended = await createKey(gw, { name: "revoked-focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${ended.id}"]`);
    await row.getByRole("button", { name: "Revoke", exact: true }).focus();
    await page.keyboard.press("Enter");
    // The choice takes focus in an effect after it is drawn: its button focused before would lose
    // focus to the choice, and Enter would revoke nothing.
    await focusReaches(row.locator("fieldset.revoke-choice"), "focus on the choice");
    await row.getByRole("button", { name: "Revoke only this key" }).focus();
    await page.keyboard.press("Enter");
    await row.waitFor({ state: "detached" });
    await page.locator(`tr[data-key-id="${kept.id}"]`).waitFor();
    // Once the reload is over: focus on the list.
    await page.waitForFunction(() => document.activeElement?.classList.contains("keys"), null, {
      timeout: 10_000,
    });
  }, 60_000);

  ui.pageStayedOnLoopback();
});
