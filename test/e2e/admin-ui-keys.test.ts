import { beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The keys page's
// changes: create, rotate and revoke (by the name's every active key, or this key alone), on record.

// Configured tenants, whose report (Keys, per tenant) the page shows beside the keys.
const ui = adminUi({ tenants: [{ name: "initech" }, { name: "acme" }, { name: "globex" }] });
const { chat, statusOf, signedIn, shoot, fx } = ui;
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

  test("keys: a configured tenant's active keys follow a key created and revoked on the page, not the next 30 s refresh", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    const keysOf = page.locator('tr[data-tenant="initech"] td[data-tenant-keys]');
    await waitFor("initech's report read, no key yet", async () => (await keysOf.textContent()) === "0");
    await page.getByRole("button", { name: "New key" }).click();
    await page.getByLabel("Name").fill("initech-ui");
    await page.getByRole("textbox", { name: "Tenant" }).fill("initech");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("button", { name: "Done" }).click();
    const row = page.locator('tr[data-key-name="initech-ui"]');
    await row.waitFor();
    // Well within the report's own 30 s refresh, started as the page opened.
    await waitFor(
      "initech's report counting the key created",
      async () => (await keysOf.textContent()) === "1",
      10_000,
    );
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Revoke", exact: true }).click();
    await row.waitFor({ state: "detached" });
    await waitFor(
      "initech's report without the key revoked",
      async () => (await keysOf.textContent()) === "0",
      10_000,
    );
  }, 60_000);

  ui.pageStayedOnLoopback();
});
