import { beforeAll, describe, expect, test } from "bun:test";
import type { Locator, Page } from "playwright-core";
import { SESSION_ENDED } from "../../src/admin-ui/session-unread.ts";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { adminUi, NARROW, WIDE } from "./harness/admin-ui-kit.ts";
import { type AxeFinding, axeFindings } from "./harness/axe-audit.ts";
import { focusReaches, whereFocusIs } from "./harness/focus.ts";
import { stopsSettled } from "./harness/scroll-stops.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { spawnWorker } from "./harness/spawn-worker.ts";
import { waitFor, waitForOrSay } from "./harness/wait-for.ts";

// The web control plane against WCAG 2.1 AA (docs/ADMIN-UI.md, "Accessibility"): axe-core's
// WCAG 2.0/2.1 A and AA rules on every page and state an operator meets, at desktop and phone
// widths, none serious or critical; and each page's actions done from the keyboard alone.

const ui = adminUi();
const { chat, expectingRefusals, signInWithKey, signedIn, refuseReads, fx } = ui;
let gw: GatewayProcess;
let page: Page;
beforeAll(() => {
  ({ gw, page } = ui);
});

/**
 * Audits the page as it stands at desktop and phone widths in the light theme, and at desktop in
 * the dark one (colour contrast is the rule that differs by theme; layout, by width); the findings
 * of each, named by `state`.
 */
async function audit(state: string): Promise<AxeFinding[]> {
  const found: AxeFinding[] = [];
  for (const [look, size, colorScheme] of [
    ["desktop", WIDE, "light"],
    ["390px", NARROW, "light"],
    ["desktop, dark", WIDE, "dark"],
  ] as const) {
    await page.setViewportSize(size);
    await page.emulateMedia({ colorScheme });
    // A box that began (or stopped) scrolling at this width gets its Tab stop a frame later.
    await stopsSettled(page);
    found.push(...(await axeFindings(page, `${state} (${look})`)));
  }
  await page.setViewportSize(WIDE);
  await page.emulateMedia({ colorScheme: "light" });
  return found;
}

/** Presses Tab until focus is on `target`, at most `limit` times: it is reached from the keyboard. */
async function tabTo(target: Locator, limit = 60) {
  for (let presses = 0; presses < limit; presses++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target} (focus on ${await whereFocusIs(page)})`);
}

describe("/admin against WCAG 2.1 AA (axe-core, serious and critical)", () => {
  test("sign-in: with a key, a key refused", async () => {
    await page.goto("about:blank");
    await ui.browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    await page.getByLabel("Admin key").waitFor();
    const found = await audit("sign-in");
    await expectingRefusals(async () => {
      await page.getByLabel("Admin key").fill("mgw_not-a-key");
      await page.keyboard.press("Enter");
      await page.getByRole("alert").waitFor();
    });
    found.push(...(await audit("sign-in, key refused")));
    expect(found).toEqual([]);
  }, 60_000);

  test("overview with data; workers (none yet), models, activity, shadow", async () => {
    for (let i = 0; i < 3; i++) expect((await chat(ui.adminKey)).response.status).toBe(200);
    await signInWithKey(ui.adminKey);
    await page.locator('[role="img"]').first().waitFor();
    const found = await audit("overview");
    // Each page audited once its data is drawn: a heading comes before its read is answered, and
    // a click within the app is no page load for Playwright's "networkidle" to wait on.
    for (const [name, drawn] of [
      ["Workers", page.getByText("No worker is connected.")],
      ["Models", page.getByRole("region", { name: "Routing table", exact: true })],
      ["Activity", page.locator("tr[data-action]").first().or(page.getByText("No admin changes yet."))],
      ["Shadow", page.getByRole("region", { name: "Shadow report", exact: true })],
    ] as const) {
      await page.getByRole("link", { name, exact: true }).click();
      await drawn.waitFor();
      found.push(...(await audit(name.toLowerCase())));
    }
    expect(found).toEqual([]);
  }, 60_000);

  test("requests: the list, a row's detail opened and closed from the keyboard, live mode", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/requests`);
    const open = page.locator("tr[data-request-id] button.time").first();
    await open.waitFor();
    const found = await audit("requests");
    // Keyboard: Tab to a row's open button, Enter opens its detail (focus on its heading), Escape
    // closes it and gives focus back to the button.
    await tabTo(open);
    await page.keyboard.press("Enter");
    await page.locator("#detail-title").waitFor();
    // Focus moves in an effect after the render that draws (or closes) the detail: waited for.
    await focusReaches(page.locator("#detail-title"), "focus on the detail's heading");
    found.push(...(await audit("requests, a row's detail")));
    await page.keyboard.press("Escape");
    await page.locator("#detail-title").waitFor({ state: "detached" });
    await waitForOrSay(
      "focus back on the row's time",
      () => page.evaluate(() => document.activeElement?.matches("tr[data-request-id] button.time") === true),
      () => whereFocusIs(page),
    );
    // Live mode switched on and off from the keyboard: Space on its checkbox.
    const live = page.getByLabel("Live");
    await live.focus();
    await page.keyboard.press("Space");
    expect(await live.isChecked()).toBe(true);
    // Connected first: the stream has no replay, and a row is what this step is about.
    await page.locator(".dot.on").waitFor();
    const { response } = await chat(ui.adminKey);
    await page.locator(`tr[data-request-id="${response.headers.get("x-request-id")}"]`).waitFor();
    // The row is said, not only drawn: a polite status region counts what came live.
    await page
      .getByRole("status")
      .getByText(/^\d+ new requests? since live mode or its filters began$/)
      .waitFor();
    found.push(...(await audit("requests, live")));
    await page.keyboard.press("Space");
    expect(await live.isChecked()).toBe(false);
    expect(found).toEqual([]);
  }, 60_000);

  test("long bodies: a row's request and response boxes and Shadow's answers scroll from the keyboard", async () => {
    await signedIn();
    // A prompt and an answer long enough that each body box (320 px high at most) scrolls: the
    // mock answers the smallest JSON its schema allows, here an object of 300 named fields, and
    // the shadow copy the same.
    const names = Array.from({ length: 300 }, (_, i) => `field${i}`);
    const schema = {
      type: "object",
      properties: Object.fromEntries(names.map((name) => [name, { type: "integer" }])),
      required: names,
    };
    const { response } = await ui
      .sdk(ui.adminKey)
      .chat.completions.create({
        model: "mock-chat",
        messages: [{ role: "user", content: names.join("\n") }],
        response_format: { type: "json_schema", json_schema: { name: "long", schema } },
      })
      .withResponse();
    const requestId = response.headers.get("x-request-id") ?? "";
    // The page reads the log once: its row written first (the audit log writes in batches).
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator(`tr[data-request-id="${requestId}"] button.time`).click();
    await page.locator(".bodies pre", { hasText: "field299" }).first().waitFor();
    const found = await audit("requests, a row's long bodies");
    // Keyboard: Tab reaches the response's box, the arrow keys scroll it.
    await tabTo(page.getByRole("region", { name: "Response body", exact: true }));
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => (document.activeElement?.scrollTop ?? 0) > 0, null, { timeout: 10_000 });
    await waitFor("the shadow pair recorded", async () => {
      const res = await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
        headers: { authorization: `Bearer ${ui.adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.some((r) => r.requestId === requestId);
    });
    await page.goto(`${gw.url}/admin/shadow`);
    const pair = page.locator(`[data-shadow-pair="${requestId}"]`);
    await pair.getByRole("button").first().click();
    await pair.getByRole("heading", { name: /^Shadow: provider:demo-shadow/ }).waitFor();
    found.push(...(await audit("shadow, a pair's long answers")));
    expect(found).toEqual([]);
  }, 60_000);

  test("keys: the list and tenants, the create form from the keyboard, the key shown once", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    const newKey = page.getByRole("button", { name: "New key" });
    // The list read: a key's row, and with it the tenants its keys name.
    await page.locator("tr[data-key-name]").first().waitFor();
    await page.locator("tr[data-summary-tenant]").first().waitFor();
    const found = await audit("keys");
    // Keyboard: Tab to New key, Enter opens the form (focus on its first field), Escape closes it
    // and focus is back on New key; opened again, typed and sent with Enter, Done from the keyboard.
    await tabTo(newKey);
    await page.keyboard.press("Enter");
    // Focus moves with the render after the key press: waited for, not read at once.
    await focusReaches(page.getByLabel("Name"), "focus on the form's first field");
    found.push(...(await audit("keys, create form")));
    await page.keyboard.press("Escape");
    await focusReaches(newKey, "focus back on New key");
    await page.keyboard.press("Enter");
    // Typed only once focus is in the field: keys pressed before the effect that moves it went to
    // New key, and the key was made under another name or not at all (clean-clone CI, under load).
    await focusReaches(page.getByLabel("Name"), "focus on the form's first field again");
    await page.keyboard.type("a11y-ui");
    await page.keyboard.press("Enter");
    const shown = page.locator("[data-new-key]");
    await waitFor("the new key to be shown", async () => (await shown.inputValue()).startsWith("mgw_"));
    found.push(...(await audit("keys, the key shown once")));
    await tabTo(page.getByRole("button", { name: "Done" }));
    await page.keyboard.press("Enter");
    await focusReaches(newKey, "focus back on New key after Done");
    // The new key's Rotate and Limits forms: reached with Tab, opened with Enter, audited, closed
    // with Escape, focus back on the button that opened each.
    const row = page.locator('tr[data-key-name="a11y-ui"]');
    for (const [button, state] of [
      ["Rotate", "keys, rotate form"],
      ["Limits", "keys, limits form"],
    ] as const) {
      const opener = row.getByRole("button", { name: button, exact: true });
      await tabTo(opener);
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.activeElement?.tagName === "INPUT", null, {
        timeout: 10_000,
      });
      found.push(...(await audit(state)));
      await page.keyboard.press("Escape");
      // Focus back on this very button, not only on some row's button of that name.
      await focusReaches(opener, `focus back on ${button}`);
    }
    // At 390 px the keys table scrolls sideways: its box is reached with Tab, moved by the arrows.
    await page.setViewportSize(NARROW);
    await stopsSettled(page);
    const region = page.getByRole("region", { name: "Keys table", exact: true });
    await tabTo(region);
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction(() => (document.activeElement?.scrollLeft ?? 0) > 0, null, {
      timeout: 10_000,
    });
    await page.setViewportSize(WIDE);
    expect(found).toEqual([]);
  }, 60_000);

  test("keys: Revoke's choice for a name two keys share; Overview for an admin in a tenant", async () => {
    await signedIn();
    // A key rotated with a grace window: two active keys of its name, so Revoke asks which to end.
    const old = await createKey(gw, { name: "a11y-revoke", role: "user" });
    const rotated = await fetch(`${gw.url}/admin/api/keys/${old.id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${ui.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ grace: "1h" }),
    });
    expect(rotated.status).toBe(201);
    await page.goto(`${gw.url}/admin/keys`);
    await page
      .locator(`tr[data-key-id="${old.id}"]`)
      .getByRole("button", { name: "Revoke", exact: true })
      .click();
    await page.getByRole("button", { name: "Revoke all 2 keys named “a11y-revoke”" }).waitFor();
    const found = await audit("keys, Revoke's choice");
    await page.getByRole("button", { name: "Cancel" }).click();
    // An admin key in a tenant: a note in place of the gateway-wide charts, the rest as for any admin.
    const tenantAdmin = await createKey(gw, {
      name: "a11y-team-ops",
      tenant: "team-a",
      role: "admin",
      models: ["*"],
    });
    try {
      await signInWithKey(tenantAdmin.key);
      await page.locator("[data-charts-refused]").waitFor();
      await page.getByRole("heading", { name: "Routes" }).waitFor();
      found.push(...(await audit("overview, an admin in a tenant")));
    } finally {
      await signInWithKey(ui.adminKey);
    }
    expect(found).toEqual([]);
  }, 60_000);

  test("workers: one connected, then one that has left", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/workers`);
    await page.getByText("No worker is connected.").waitFor();
    const token = await createKey(gw, { name: "a11y-fleet", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${ui.fake.url}/v1`,
      name: "a11y-box",
      models: ["fake-model"],
    });
    let found: AxeFinding[];
    try {
      await page.locator('tr[data-worker="a11y-box"]').waitFor({ timeout: 20_000 });
      found = await audit("workers, one connected");
    } finally {
      await worker.stop();
    }
    await page.locator('[data-gone-worker="a11y-box"]').waitFor({ timeout: 20_000 });
    found.push(...(await audit("workers, one left")));
    expect(found).toEqual([]);
  }, 60_000);

  test("error and empty states: a list the gateway cannot read, a filter that matches nothing", async () => {
    await signedIn();
    const refused = "the audit log could not be read (a test's refusal)";
    const lift = await refuseReads((url) => url.pathname === "/admin/api/audit", refused);
    let found: AxeFinding[] = [];
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/requests`);
      await page.getByRole("alert").getByText(refused).waitFor();
      found = await audit("requests, refused");
    }, /status of 503/);
    await lift();
    await page.goto(`${gw.url}/admin/requests?model=no-such-model`);
    await page.getByText("No requests match.").waitFor();
    found.push(...(await audit("requests, none match")));
    expect(found).toEqual([]);
  }, 60_000);

  test("the session-ended notice on the sign-in page", async () => {
    await signedIn();
    // Overview polls the gateway's status: its next poll, the cookie gone, is refused.
    await page.goto(`${gw.url}/admin/overview`);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await expectingRefusals(async () => {
      await ui.browser.context.clearCookies();
      await page.getByText(SESSION_ENDED).waitFor({ timeout: 30_000 });
      await page.getByLabel("Admin key").waitFor();
    }, /status of 401/);
    expect(await audit("session ended")).toEqual([]);
  }, 60_000);

  test("sign-in with single sign-on offered", async () => {
    await gw.writeConfig(ui.config(gw.url, ui.issuer));
    await waitFor("the OIDC config to be live", async () => {
      const info = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
      return info.oidc;
    });
    fx.deferTest(() => gw.writeConfig(ui.config()));
    await page.goto("about:blank");
    await ui.browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    const sso = page.getByRole("link", { name: "Sign in with single sign-on" });
    await sso.waitFor();
    expect(await audit("sign-in, single sign-on")).toEqual([]);
    // Keyboard: the link is reached with Tab and followed with Enter.
    await tabTo(sso);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
  }, 60_000);
});

ui.pageStayedOnLoopback();
