import { beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { TestBrowser } from "./harness/browser.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The overview page: reloads,
// and what an admin key in a tenant is shown.

const ui = adminUi();
const { config, chat, expectingRefusals, signInWithKey, signedIn, shoot, holdRequests, refuseReads } = ui;
let gw: GatewayProcess;
let adminKey: string;
let browser: TestBrowser;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, browser, page } = ui);
});

describe("/admin in a real browser", () => {
  test("overview: a reload that needs a restart says so, not only that it reloaded", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/overview`);
    await page.locator("main h1").waitFor();
    await gw.writeConfig({ ...config(), workers: { max_message: "2MB" } });
    const pending = page.locator('[data-restart-required="workers.max_message"]');
    await pending.waitFor({ timeout: 30_000 });
    expect(await pending.textContent()).toBe("restart required for: workers.max_message (still as at start)");
    expect(await page.locator(".tile", { hasText: "Config" }).textContent()).toContain("restart required");
    // Nothing was applied: the last change says so, not "reloaded".
    const lastChange = page.locator('dt:text-is("Last change") + dd');
    expect(await lastChange.textContent()).toMatch(/^not applied at .+: restart required$/);
    await shoot("overview-restart-required-1280");
    // Put back as at start: nothing to apply, nothing pending, and still no new version; the last
    // change says it is over (config.restored), where it went on saying "not applied".
    await gw.writeConfig(config());
    await pending.waitFor({ state: "detached", timeout: 30_000 });
    expect(await lastChange.textContent()).toMatch(/^restored at .+: v\d+ serves on, nothing pending$/);
  }, 60_000);

  test("overview: an admin key in a tenant gets a note in place of the gateway-wide charts, and the rest of the page, asking for nothing it is refused", async () => {
    const tenantAdmin = await createKey(gw, {
      name: "team-ops",
      tenant: "team-a",
      role: "admin",
      models: ["*"],
    });
    // A request on a route every tenant may use: a mean time to first byte the gateway keeps for it.
    expect((await chat(adminKey)).response.status).toBe(200);
    const problems = browser.problems.length;
    const requests = browser.requests.length;
    try {
      await signInWithKey(tenantAdmin.key);
      await page.locator("[data-charts-refused]").waitFor();
      expect(await page.locator("[data-charts-refused]").textContent()).toBe(
        "Request charts are gateway-wide and shown only to admins outside every tenant.",
      );
      await page
        .locator(".tile", { hasText: "Config" })
        .getByText(/^v\d+$/)
        .waitFor();
      await page.getByRole("heading", { name: "Routes" }).waitFor();
      // A route's requests in flight are every tenant's on a provider every tenant may use: "–", and why.
      const hiddenLoad = page.locator('[data-load="hidden"]');
      await hiddenLoad.first().waitFor();
      expect(await hiddenLoad.first().textContent()).toBe("–");
      expect(await hiddenLoad.first().getAttribute("title")).toContain(
        "Every tenant's requests on this route",
      );
      // Nor their mean time to first byte, a figure of those requests (one made first, so there is one).
      const hiddenTtfb = page.locator('[data-ttfb="hidden"]');
      expect(await hiddenTtfb.count()).toBe(await hiddenLoad.count());
      expect(await hiddenTtfb.first().textContent()).toBe("–");
      expect(await hiddenTtfb.first().getAttribute("title")).toContain(
        "Every tenant's requests on this route",
      );
      expect(await page.locator("table").first().textContent()).not.toMatch(/undefined|\d m?s\b/);
      expect(await page.locator('main [role="alert"]').count()).toBe(0);
      expect(await page.locator(".charts").count()).toBe(0);
      expect(await page.locator(".tile-label", { hasText: /^Requests$/ }).count()).toBe(0);
      // Nor the gateway's load, which the status leaves out for it: no tile reading "–".
      expect(await page.locator(".tile-label", { hasText: /^In flight$/ }).count()).toBe(0);
      expect(await page.locator(".tile-label", { hasText: /^Workers$/ }).count()).toBe(1);
      // Nor the charts' time window: buttons that would choose it for nothing.
      expect(await page.getByRole("group", { name: "Time window" }).count()).toBe(0);
      // The file in use is withheld from an admin in a tenant: said so, not "embedded defaults".
      const facts = page.locator("dl.facts");
      expect(await facts.locator("dt:has-text('File') + dd").textContent()).toBe("hidden (gateway-wide)");
      expect(await facts.locator("dt:has-text('Last change') + dd").textContent()).toBe(
        "hidden (gateway-wide)",
      );
      expect(await page.locator(".tile", { hasText: "Config" }).locator(".tile-note").textContent()).toBe(
        "hidden (gateway-wide)",
      );
      // Past the status's next poll (every 5 s): the charts' were never asked for, nothing refused.
      await page.waitForResponse((response) => response.url().endsWith("/admin/api/status"), {
        timeout: 15_000,
      });
      await shoot("overview-tenant-admin-1280");
      expect(browser.requests.slice(requests).filter((url) => url.includes("/admin/api/stats"))).toEqual([]);
      // The Models page withholds the file too (the routing table leaves its path out), and says so.
      await page.goto(`${gw.url}/admin/models`);
      const source = page.locator(".page-head .muted");
      await source.waitFor();
      expect(await source.textContent()).toMatch(/^hidden \(gateway-wide\) · version \d+$/);
      expect(browser.problems.slice(problems)).toEqual([]);
    } finally {
      await signInWithKey(adminKey);
    }
  }, 60_000);

  test("overview: a routing table it cannot read is said so, not shown as no routes and no open breaker", async () => {
    await signedIn();
    const refused = "the routing table could not be read (a test's refusal)";
    const lift = await refuseReads((url) => url.pathname === "/admin/api/routing", refused);
    try {
      await expectingRefusals(async () => {
        await page.goto(`${gw.url}/admin/overview`);
        await page.getByRole("alert").getByText(refused).waitFor();
        await page
          .locator(".tile", { hasText: "Config" })
          .getByText(/^v\d+$/)
          .waitFor();
      }, /status of 503/);
      expect(await page.getByText("No configured routes.").count()).toBe(0);
      const breakers = page.locator(".tile", { hasText: "Open breakers" });
      expect(await breakers.locator(".tile-value").textContent()).toBe("–");
      expect(await breakers.getAttribute("class")).not.toContain("good");
    } finally {
      await lift();
    }
    await page.goto(`${gw.url}/admin/overview`);
    await page.locator(".tile", { hasText: "Open breakers" }).getByText(/^0$/).waitFor();
  }, 60_000);

  test("overview: one request between quiet buckets is drawn, as a point, on the latency chart", async () => {
    await signedIn();
    // A restart starts the charts empty (ADMIN-UI.md), whatever model calls an earlier test made:
    // the page is away meanwhile, so no poll of it meets the gateway down. The session is stored.
    await page.goto("about:blank");
    await ui.fx.restart({ port: gw.port });
    await page.goto(`${gw.url}/admin/overview`);
    const latency = page.locator("figure.chart", { hasText: "Latency" });
    await latency.locator("canvas").waitFor();
    // The pixels of a line's colours (opaque, strongly saturated), not the axes' and grid's greys
    // nor the faint edges of their text.
    const painted = () =>
      latency.locator("canvas").evaluate((canvas: HTMLCanvasElement) => {
        const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let coloured = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          const [r = 0, g = 0, b = 0, a = 0] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
          if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
        }
        return coloured;
      });
    expect(await painted()).toBe(0); // this gateway has served no model call since its start
    await chat(adminKey);
    // The page polls the charts every 5 s: the request's bucket is drawn by the next poll or so.
    await waitFor("the lone latency value drawn", async () => (await painted()) > 0, 20_000);
    await shoot("overview-isolated-point-1280");
  }, 60_000);

  test("overview: figures not read are '–', never 0 or the window before's: a window chosen and not yet read, charts refused", async () => {
    await signedIn();
    expect((await chat(adminKey)).response.status).toBe(200);
    const tile = (label: string) =>
      page.locator(".tile", { has: page.locator(".tile-label").getByText(label, { exact: true }) });
    const value = (label: string) => tile(label).locator(".tile-value").textContent();
    await page.goto(`${gw.url}/admin/overview`);
    await tile("Requests")
      .locator(".tile-value")
      .getByText(/^[1-9]/)
      .waitFor();
    // The hour not yet read: the 15 minutes' figures are not shown as the hour's.
    const hour = await holdRequests(
      (url) => url.pathname === "/admin/api/stats" && url.searchParams.get("window") === "1h",
    );
    await page.getByRole("button", { name: "1h", exact: true }).click();
    await hour.asked;
    expect(await tile("Requests").locator(".tile-note").textContent()).toBe("last 1h");
    expect([await value("Requests"), await value("Tokens"), await value("Cost")]).toEqual(["–", "–", "–"]);

    const refused = "the charts could not be read (a test's refusal)";
    await refuseReads((url) => url.pathname === "/admin/api/stats", refused);
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/overview`);
      await page.getByRole("alert").getByText(refused).waitFor();
      expect([
        await value("Requests"),
        await value("Error share (5xx)"),
        await value("Tokens"),
        await value("Cost"),
      ]).toEqual(["–", "–", "–", "–"]);
      // Away from its refusals, polled every 5 s until the test ends.
      await page.goto(`${gw.url}/admin/keys`);
    }, /status of 503/);
  }, 60_000);

  ui.pageStayedOnLoopback();
});
