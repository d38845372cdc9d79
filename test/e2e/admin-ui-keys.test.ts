import { beforeAll, describe, expect, test } from "bun:test";
import type { Request as BrowserRequest, Page, Route } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The keys page: create,
// rotate, revoke, limits, a thousand keys.

const ui = adminUi();
const { chat, statusOf, expectingRefusals, refuseReads, signedIn, shoot, fx } = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

describe("/admin in a real browser", () => {
  test("keys: create (shown once), use it, rotate with grace, revoke; every change on record", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    await page.getByRole("button", { name: "New key" }).click();
    await page.getByLabel("Name").fill("alice-ui");
    await page.getByLabel("Budget (USD)").fill("5");
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = page.locator("[data-new-key]");
    await waitFor("the new key to be shown", async () => (await shown.inputValue()).startsWith("mgw_"));
    const first = await shown.inputValue();
    expect((await chat(first)).response.status).toBe(200);

    const firstId = (await (
      await fetch(`${gw.url}/admin/api/keys/alice-ui`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { id: string };
    await page.getByRole("button", { name: "Done" }).click();
    const row = page.locator(`tr[data-key-id="${firstId.id}"]`);
    // The summary of the tenants the keys name, with alice-ui's spend read since its call.
    const summary = page.locator('tr[data-summary-tenant="default"]');
    const totals = async () => ({
      spent: Number(await summary.getAttribute("data-spent")),
      budget: Number(await summary.getAttribute("data-budget")),
    });
    await waitFor("alice-ui's spend on the page", async () => {
      await page.reload();
      return Number(await row.getAttribute("data-spent")) > 0;
    });
    const beforeRotation = await totals();
    await row.getByRole("button", { name: "Rotate" }).click();
    await row.getByLabel("Grace").fill("1h");
    await row.getByRole("button", { name: "Rotate now" }).click();
    await waitFor("the rotated key to be shown", async () => {
      const value = await shown.inputValue().catch(() => "");
      return value.startsWith("mgw_") && value !== first;
    });
    const second = await shown.inputValue();
    // Both keys listed, each reporting the chain's one spend (counted under its first key): the
    // summary counts the chain once.
    const alice = page.locator('tr[data-key-name="alice-ui"]');
    await waitFor("both alice-ui keys listed with the spend they share", async () => {
      await page.reload();
      await row.waitFor();
      const spends = await alice.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-spent"))));
      return spends.length === 2 && (spends[0] ?? 0) > 0 && spends[0] === spends[1];
    });
    const afterRotation = await totals();
    expect(afterRotation.budget).toBe(beforeRotation.budget);
    expect(afterRotation.spent).toBeCloseTo(beforeRotation.spent, 12);
    expect(await statusOf(chat(second))).toBe(200);
    expect(await statusOf(chat(first))).toBe(200); // still inside its grace period

    const listed = (await (
      await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { keys: { id: string; name: string }[] };
    const secondId = listed.keys.find((k) => k.name === "alice-ui" && k.id !== firstId.id) ?? { id: "" };
    expect(secondId.id).not.toBe(firstId.id);
    // Revoke on the new key offers the name's every active key, as `mindgw keys revoke alice-ui`:
    // the old one in its grace window would otherwise keep the name working.
    const secondRow = page.locator(`tr[data-key-id="${secondId.id}"]`);
    await secondRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await secondRow.getByText("2 active keys are named").waitFor();
    await shoot("keys-revoke-choice-1280");
    await secondRow.getByRole("button", { name: "Revoke all 2 keys named “alice-ui”" }).click();
    await secondRow.waitFor({ state: "detached" });
    await row.waitFor({ state: "detached" });
    expect([await statusOf(chat(second)), await statusOf(chat(first))]).toEqual([401, 401]);
    await shoot("keys-1280");

    await page.goto(`${gw.url}/admin/activity`);
    for (const action of ["session.sign_in", "key.create", "key.rotate", "key.revoke"])
      await page.locator(`tr[data-action="${action}"]`).first().waitFor();
    const actions = (await (
      await fetch(`${gw.url}/admin/api/actions`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      actions: { action: string; actor: string; via: string; target: string }[];
    };
    expect(actions.actions.filter((a) => a.action === "key.revoke")).toEqual([
      expect.objectContaining({ actor: "bootstrap-admin", via: "session", target: firstId.id }),
      expect.objectContaining({ actor: "bootstrap-admin", via: "session", target: secondId.id }),
    ]);
  }, 60_000);

  test("keys: Revoke only this key, of a name other active keys share, leaves them working; a key alone under its name asks a plain confirm", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "hank-ui", role: "user" });
    const rotate = async () => {
      const res = await fetch(`${gw.url}/admin/api/keys/hank-ui/rotate`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ grace: "1h" }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; key: string };
    };
    const rotated = await rotate();
    await page.goto(`${gw.url}/admin/keys`);
    const newRow = page.locator(`tr[data-key-id="${rotated.id}"]`);
    await newRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await newRow.getByRole("button", { name: "Revoke only this key" }).click();
    await newRow.waitFor({ state: "detached" });
    expect([await statusOf(chat(rotated.key)), await statusOf(chat(made.key))]).toEqual([401, 200]);
    // The old key is now alone under its name: the plain question, and that key alone.
    const messages: string[] = [];
    page.once("dialog", (dialog) => {
      messages.push(dialog.message());
      void dialog.accept();
    });
    const oldRow = page.locator(`tr[data-key-id="${made.id}"]`);
    await oldRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await oldRow.waitFor({ state: "detached" });
    expect(messages).toEqual(['Revoke key "\u2068hank-ui\u2069"? Callers using it are refused at once.']);
    expect(await statusOf(chat(made.key))).toBe(401);
  }, 60_000);

  test("keys: Revoke counts every active key of the name the gateway holds, not only those on the page", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const oldest = await createKey(target, { name: "spread-ui", role: "user" });
    // Newer keys push it off the first page (50 keys, newest first).
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `spread-filler-${i + j}` })),
      );
    const rotate = async () => {
      const res = await fetch(`${gw.url}/admin/api/keys/spread-ui/rotate`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ grace: "1h" }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; key: string };
    };
    const middle = await rotate();
    // Plain confirms would be dismissed (and said here): the name's other key is off the page.
    const confirms: string[] = [];
    const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
      confirms.push(dialog.message());
      void dialog.dismiss();
    };
    page.on("dialog", onDialog);
    fx.deferTest(() => page.off("dialog", onDialog));
    await page.goto(`${gw.url}/admin/keys`);
    await page.locator("[data-keys-shown='50']").waitFor();
    expect(await page.locator(`tr[data-key-id="${oldest.id}"]`).count()).toBe(0);
    const middleRow = page.locator(`tr[data-key-id="${middle.id}"]`);
    await middleRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await middleRow.getByText("2 active keys are named").waitFor();
    await middleRow.getByRole("button", { name: "Cancel" }).click();

    const newest = await rotate();
    await page.reload();
    const newestRow = page.locator(`tr[data-key-id="${newest.id}"]`);
    await newestRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await newestRow.getByRole("button", { name: "Revoke all 3 keys named “spread-ui”" }).click();
    await newestRow.waitFor({ state: "detached" });
    expect(confirms).toEqual([]);
    expect([
      await statusOf(chat(newest.key)),
      await statusOf(chat(middle.key)),
      await statusOf(chat(oldest.key)),
    ]).toEqual([401, 401, 401]);
  }, 60_000);

  test("keys: for an admin outside every tenant, Revoke counts and ends the name's keys in the key's own tenant; another tenant's key of the name keeps working", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const theirs = await createKey(target, { name: "tenants-ui", tenant: "globex", role: "user" });
    const old = await createKey(target, { name: "tenants-ui", tenant: "acme", role: "user" });
    const res = await fetch(`${gw.url}/admin/api/keys/${old.id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ grace: "1h" }),
    });
    expect(res.status).toBe(201);
    const fresh = (await res.json()) as { id: string; key: string };
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${fresh.id}"]`);
    await row.getByRole("button", { name: "Revoke", exact: true }).click();
    // Two in acme: the globex key of the name is another credential, neither counted nor revoked.
    await row.getByRole("button", { name: "Revoke all 2 keys named “tenants-ui”" }).click();
    await row.waitFor({ state: "detached" });
    expect(await page.getByRole("alert").count()).toBe(0);
    expect([
      await statusOf(chat(fresh.key)),
      await statusOf(chat(old.key)),
      await statusOf(chat(theirs.key)),
    ]).toEqual([401, 401, 200]);
  }, 60_000);

  test("keys: a thousand keys are listed 50 a page with Load more, spend read per page; the charts ignore their creation", async () => {
    await signedIn();
    const asAdmin = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
    for (let i = 0; i < 1000; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          fetch(`${gw.url}/admin/api/keys`, {
            method: "POST",
            headers: asAdmin,
            body: JSON.stringify({ name: `bulk-${i + j}` }),
          }).then((response) => expect(response.status).toBe(201)),
        ),
      );
    const spendUrls: string[] = [];
    const onRequest = (request: BrowserRequest) => {
      if (request.url().includes("/admin/api/spend")) spendUrls.push(request.url());
    };
    page.on("request", onRequest);
    fx.deferTest(() => page.off("request", onRequest));
    await page.goto(`${gw.url}/admin/keys`);
    const rows = page.locator("table.keys tbody tr");
    await page.locator("[data-keys-shown='50']").waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.locator("[data-keys-shown='100']").waitFor();
    expect(await page.locator("p.error").count()).toBe(0);
    expect(await rows.first().textContent()).toContain("bulk-"); // newest first
    expect(spendUrls).toHaveLength(2);
    for (const url of spendUrls) expect(new URL(url).searchParams.getAll("ids")).toHaveLength(50);
    await shoot("keys-many-1280");

    // A thousand admin calls are no traffic: the charts count the model requests alone.
    const stats = (await (
      await fetch(`${gw.url}/admin/api/stats?window=15m`, { headers: asAdmin })
    ).json()) as { requests: number[] };
    expect(stats.requests.reduce((a, b) => a + b, 0)).toBeLessThan(100);
  }, 120_000);

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

  test("keys: a tenants report it cannot read is said so, not left out unsaid", async () => {
    await signedIn();
    const refused = "the tenants' usage could not be read (a test's refusal)";
    const lift = await refuseReads((url) => url.pathname === "/admin/api/tenants", refused);
    try {
      await expectingRefusals(async () => {
        await page.goto(`${gw.url}/admin/keys`);
        await page.getByRole("alert").getByText(refused).waitFor();
      }, /status of 503/);
      // The keys were read: only the tenants' report failed.
      await page.locator("table.keys tbody tr").first().waitFor();
    } finally {
      await lift();
    }
  }, 60_000);

  test("keys: revoked and expired keys it cannot read are said so, never shown as the active keys listed before", async () => {
    await signedIn();
    const refused = "the keys could not be read (a test's refusal)";
    await createKey(gw, { name: "unread-toggle-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    await page.locator('tr[data-key-name="unread-toggle-ui"]').waitFor();
    await refuseReads(
      (url) => url.pathname === "/admin/api/keys" && url.searchParams.get("include_revoked") === "true",
      refused,
    );
    await expectingRefusals(async () => {
      await page.getByLabel("Show revoked and expired").check();
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await page.locator("table.keys tbody tr").count()).toBe(0);
    expect(await page.locator("[data-keys-shown]").getAttribute("data-keys-shown")).toBe("0");
    await page.getByLabel("Show revoked and expired").uncheck();
    await page.locator('tr[data-key-name="unread-toggle-ui"]').waitFor();
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

  test("keys: Create key and Rotate now pressed again while the first is under way are sent once", async () => {
    await signedIn();
    const sent: string[] = [];
    const held: Route[] = [];
    const changes = (url: URL) => url.pathname === "/admin/api/keys" || url.pathname.endsWith("/rotate");
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
  }, 60_000);

  test("keys: Limits opens with its first field focused; Escape closes it and focus is back on the row's Limits", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "focus-ui" });
    await page.goto(`${gw.url}/admin/keys`);
    const limits = page.locator(`tr[data-key-id="${made.id}"]`).getByRole("button", { name: "Limits" });
    const focused = (target: ReturnType<Page["locator"]>) =>
      target.evaluate((el) => el === document.activeElement);
    await limits.click();
    const form = page.getByRole("form", { name: "Change limits" });
    await form.waitFor();
    expect(await focused(form.getByLabel("Models (globs, comma-separated)"))).toBe(true);
    await page.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
    // Focus goes back in an effect after the form is gone: waited for, not read the moment it goes.
    await waitFor("focus back on the row's Limits", () => focused(limits));
    // Saved with Enter: closed, focus back on the row's Limits too.
    await limits.press("Enter");
    await form.getByLabel("Requests/min").fill("7");
    await form.getByLabel("Requests/min").press("Enter");
    await form.waitFor({ state: "detached" });
    await page.locator(`tr[data-key-id="${made.id}"]`).getByText("7 rpm").waitFor();
    await waitFor("focus back on the row's Limits after a save", () => focused(limits));
  }, 60_000);

  test("keys: Done on a new key puts focus back on New key, or on the row's Rotate after a rotation", async () => {
    await signedIn();
    const focused = (target: ReturnType<Page["locator"]>) =>
      target.evaluate((el) => el === document.activeElement);
    await page.goto(`${gw.url}/admin/keys`);
    const newKey = page.getByRole("button", { name: "New key" });
    await newKey.click();
    await page.getByRole("form", { name: "New key" }).getByLabel("Name").fill("done-focus-ui");
    await page.getByRole("button", { name: "Create key" }).click();
    const done = page.getByRole("button", { name: "Done" });
    await done.click();
    await done.waitFor({ state: "detached" });
    expect(await focused(newKey)).toBe(true);
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
    expect(await focused(rotated)).toBe(true);
  }, 60_000);

  test("keys: New key opens its form with Name focused; Escape and Cancel close it with focus back on New key", async () => {
    await signedIn();
    const focused = (target: ReturnType<Page["locator"]>) =>
      target.evaluate((el) => el === document.activeElement);
    await page.goto(`${gw.url}/admin/keys`);
    const newKey = page.getByRole("button", { name: "New key" });
    const form = page.getByRole("form", { name: "New key" });
    await newKey.focus();
    await page.keyboard.press("Enter");
    await form.waitFor();
    expect(await focused(form.getByLabel("Name"))).toBe(true);
    await page.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
    expect(await focused(newKey)).toBe(true);
    await page.keyboard.press("Enter");
    await form.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await form.waitFor({ state: "detached" });
    expect(await focused(newKey)).toBe(true);
  }, 60_000);

  test("keys: Rotate opens its grace field focused; Escape and Cancel close it with focus back on the row's Rotate", async () => {
    await signedIn();
    await createKey(gw, { name: "rotate-focus-ui" });
    const focused = (target: ReturnType<Page["locator"]>) =>
      target.evaluate((el) => el === document.activeElement);
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator('tr[data-key-name="rotate-focus-ui"]');
    const rotate = row.getByRole("button", { name: "Rotate", exact: true });
    const grace = row.getByLabel("Grace");
    await rotate.focus();
    await page.keyboard.press("Enter");
    await grace.waitFor();
    expect(await focused(grace)).toBe(true);
    await page.keyboard.press("Escape");
    await grace.waitFor({ state: "detached" });
    expect(await focused(rotate)).toBe(true);
    await page.keyboard.press("Enter");
    await row.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await grace.waitFor({ state: "detached" });
    expect(await focused(rotate)).toBe(true);
  }, 60_000);

  test("keys: a name's Revoke choice takes focus as it opens; Escape and Cancel put it back on the row's Revoke", async () => {
    await signedIn();
    await createKey(gw, { name: "revoke-focus-ui" });
    await createKey(gw, { name: "revoke-focus-ui" });
    const focused = (target: ReturnType<Page["locator"]>) =>
      target.evaluate((el) => el === document.activeElement);
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator('tr[data-key-name="revoke-focus-ui"]').first();
    const revoke = row.getByRole("button", { name: "Revoke", exact: true });
    const choice = row.locator("fieldset.revoke-choice");
    await revoke.focus();
    await page.keyboard.press("Enter");
    await choice.waitFor();
    // On the choice, not on any of its buttons: Enter pressed again revokes nothing unasked.
    expect(await focused(choice)).toBe(true);
    await page.keyboard.press("Escape");
    await choice.waitFor({ state: "detached" });
    expect(await focused(revoke)).toBe(true);
    await page.keyboard.press("Enter");
    await choice.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await choice.waitFor({ state: "detached" });
    expect(await focused(revoke)).toBe(true);
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
    await row.getByRole("button", { name: "Revoke only this key" }).focus();
    await page.keyboard.press("Enter");
    await row.waitFor({ state: "detached" });
    await page.locator(`tr[data-key-id="${kept.id}"]`).waitFor();
    // Once the reload is over: focus on the list.
    await page.waitForFunction(() => document.activeElement?.classList.contains("keys"), null, {
      timeout: 10_000,
    });
  }, 60_000);

  test("keys: a gateway with no keys to list, nor tenants, says so, not empty tables without a word", async () => {
    // A gateway of its own with no key at all (no bootstrap admin), signed in by single sign-on.
    const { jwt } = ui.config().auth;
    const keyless = (url?: string) => ({
      ...ui.config(url, url ? ui.issuer : undefined),
      auth: { jwt, bootstrap_admin: false },
    });
    const empty = await fx.spawn({ config: keyless() });
    await empty.writeConfig(keyless(empty.url));
    await waitFor("the OIDC config to be live", async () => {
      const info = (await (await fetch(`${empty.url}/admin/auth/session`)).json()) as { oidc: boolean };
      return info.oidc;
    });
    // Cookies are the host's, not the port's: the file's gateway signs in afresh after this test.
    fx.deferTest(() => ui.browser.context.clearCookies());
    await ui.browser.context.clearCookies();
    await page.goto(`${empty.url}/admin/`);
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.goto(`${empty.url}/admin/keys`);
    await page.getByText("No active keys.").waitFor();
    expect(await page.locator("table.keys tbody tr").count()).toBe(0);
    // No tenant configured, none named by a key: the tenants' table says so too.
    await page.getByText("No tenants.", { exact: true }).waitFor();
    expect(await page.locator("tr[data-summary-tenant]").count()).toBe(0);
    await page.getByLabel("Show revoked and expired").check();
    await page.getByText("No keys.", { exact: true }).waitFor();
    await shoot("keys-empty");
  }, 60_000);

  ui.pageStayedOnLoopback();
});
