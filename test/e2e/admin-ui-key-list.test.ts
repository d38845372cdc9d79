import { beforeAll, describe, expect, test } from "bun:test";
import type { Request as BrowserRequest, Page } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { focusReaches } from "./harness/focus.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor, waitForOrSay } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The keys page's
// lists: a thousand keys paged, what it cannot read said so, and none to list said so.

const ui = adminUi();
const { expectingRefusals, refuseReads, signedIn, shoot, fx } = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

describe("/admin in a real browser", () => {
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

  test("keys: a change keeps the pages Load more added, so Done after rotating a key past the first page goes back to its Rotate", async () => {
    await signedIn();
    // The oldest of 60 (made first): listed past the first page, newest first.
    await createKey(gw, { name: "paged-rotate-0" });
    await Promise.all(Array.from({ length: 59 }, (_, i) => createKey(gw, { name: `paged-rotate-${i + 1}` })));
    await page.goto(`${gw.url}/admin/keys`);
    const shown = page.locator("[data-keys-shown]");
    await page.locator("[data-keys-shown='50']").waitFor();
    await page.getByRole("button", { name: "Load more" }).click();
    await waitFor(
      "the second page listed",
      async () => Number(await shown.getAttribute("data-keys-shown")) > 50,
    );
    const listed = Number(await shown.getAttribute("data-keys-shown"));
    const row = page.locator('tr[data-key-name="paged-rotate-0"]');
    await row.getByRole("button", { name: "Rotate", exact: true }).click();
    await row.getByRole("button", { name: "Rotate now" }).click();
    const done = page.getByRole("button", { name: "Done" });
    await done.waitFor();
    // The new key listed first, and every key listed before still listed (none dropped to page one).
    await waitForOrSay(
      "the list read again with the new key and all it listed",
      async () => Number(await shown.getAttribute("data-keys-shown")) === listed + 1,
      async () => `${await shown.getAttribute("data-keys-shown")} listed, ${listed} before the rotation`,
    );
    await done.click();
    await done.waitFor({ state: "detached" });
    // The rotated key's row (the old key, in its grace window): the newer key is listed above it.
    await focusReaches(
      row.last().getByRole("button", { name: "Rotate", exact: true }),
      "focus back on the row's Rotate",
    );
  }, 90_000);

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
