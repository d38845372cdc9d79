import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import { UI_PAGES } from "../../src/http/admin-ui/ui-pages.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { adminUi, NARROW, NARROWEST, SHOTS, WIDE } from "./harness/admin-ui-kit.ts";
import type { TestBrowser } from "./harness/browser.ts";
import { mismatchedStops, stopsSettled } from "./harness/scroll-stops.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor, waitForOrSay } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). Every page at 1280, 390 and
// 320 px, light and dark; the requests table with apps mounted.

const ui = adminUi();
const { chat, statusOf, expectingRefusals, titleIs, signInWithKey, signedIn, shoot, fx } = ui;
let gw: GatewayProcess;
let adminKey: string;
let browser: TestBrowser;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, browser, page } = ui);
});

describe("/admin in a real browser", () => {
  test("every page at 1280, 390 and 320 px, light and dark: nothing wider than the screen, no text cut short", async () => {
    // Signed in with an admin key of a long name: the header, which shows it above 600 px, says it whole.
    const longName = "platform-operations-on-call-admin-key-for-the-eu-west-cluster";
    await signInWithKey((await createKey(gw, { name: longName, role: "admin", models: ["*"] })).key);
    for (let i = 0; i < 12; i++) await statusOf(chat(adminKey, i % 4 === 3 ? "no-such-model" : "mock-chat"));
    for (const viewport of [WIDE, NARROW, NARROWEST]) {
      await page.setViewportSize(viewport);
      for (const name of UI_PAGES) {
        await expectingRefusals(async () => {
          await page.goto(`${gw.url}/admin/${name}`);
          await page.locator("main h1").waitFor();
          if (name === "overview") await page.locator(".chart .uplot").first().waitFor();
          if (name === "shadow") await page.locator('[data-shadow="report"]').waitFor();
          await shoot(`${name}-${viewport.width}`);
        }, /^$/);
        // Nothing wider than the viewport except inside a scroll box.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        // Nor any text cut short with an ellipsis: what it hides, no keyboard or touch can read.
        const cut = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>("body *")]
            .filter(
              (el) => getComputedStyle(el).textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth,
            )
            .map((el) => el.textContent),
        );
        expect({ page: name, width: viewport.width, overflow: Math.max(0, overflow), cut }).toEqual({
          page: name,
          width: viewport.width,
          overflow: 0,
          cut: [],
        });
        if (viewport === WIDE) {
          const user = page.locator("header .user");
          expect(await user.textContent()).toBe(longName);
          // Whole in its box, not clipped in any way, an ellipsis or none.
          expect(
            await user.evaluate(
              (el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight,
            ),
          ).toBe(true);
        }
      }
    }
    await page.setViewportSize(WIDE);
    await page.emulateMedia({ colorScheme: "dark" });
    for (const name of ["overview", "requests", "keys"] as const) {
      await page.goto(`${gw.url}/admin/${name}`);
      await page.locator("main h1").waitFor();
      if (name === "overview") await page.locator(".chart .uplot").first().waitFor();
      await shoot(`${name}-1280-dark`);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }, 120_000);

  test("requests at 390 px with apps mounted: the table fits its card (App hidden, as the other wide columns), each time on one line", async () => {
    const withApps = await fx.spawn({
      config: {
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "mock-chat", routes: [{ provider: "demo", model: "mock" }] }],
        apps: [{ name: "openai-api", frontdoor: "openai", path: "/openai" }],
      },
    });
    const key = withApps.adminKey ?? "";
    for (let i = 0; i < 3; i++)
      await new OpenAI({
        baseURL: `${withApps.url}/openai/v1`,
        apiKey: key,
        maxRetries: 0,
      }).chat.completions.create({
        model: "mock-chat",
        messages: [{ role: "user", content: "through the app" }],
      });
    // A page of its own; the session cookie is per host, so the main gateway's is signed in again after.
    const narrow = await browser.newPage(NARROW);
    try {
      await narrow.goto(`${withApps.url}/admin/`);
      await narrow.getByLabel("Admin key").fill(key);
      await narrow.keyboard.press("Enter");
      await narrow.getByRole("heading", { name: "Overview" }).waitFor();
      await narrow.goto(`${withApps.url}/admin/requests`);
      await narrow.locator("table.requests tbody tr").nth(2).waitFor();
      const measured = await narrow.evaluate(() => {
        const table = document.querySelector("table.requests") as HTMLElement;
        const app = [...table.querySelectorAll("thead th")].find((th) => th.textContent === "App");
        const time = table.querySelector("tbody button.link") as HTMLElement;
        return {
          table: table.scrollWidth,
          card: (table.parentElement as HTMLElement).clientWidth,
          app: app ? getComputedStyle(app).display : "missing",
          timeLines: Math.round(
            time.getBoundingClientRect().height / Number.parseFloat(getComputedStyle(time).lineHeight),
          ),
        };
      });
      await narrow.screenshot({ path: join(SHOTS, "requests-apps-390.png"), fullPage: true });
      expect(await narrow.locator("table.requests tbody button.link .wide").first().isVisible()).toBe(false);
      expect(measured.table).toBeLessThanOrEqual(measured.card);
      expect([measured.app, measured.timeLines]).toEqual(["none", 1]);
      // At 1280 the App column is there.
      await narrow.setViewportSize(WIDE);
      await narrow.getByRole("columnheader", { name: "App" }).waitFor();
      expect(await narrow.locator("table.requests tbody tr td").nth(3).textContent()).toBe("openai-api");
      // And each time to the millisecond, which the narrow screen left out.
      const millis = narrow.locator("table.requests tbody button.link .wide").first();
      expect([await millis.isVisible(), await millis.textContent()]).toEqual([
        true,
        expect.stringMatching(/^\.\d{3}$/),
      ]);
    } finally {
      await narrow.close();
      await signInWithKey(adminKey);
    }
  }, 60_000);

  test("requests: a body with a long run of punctuation or one long token wraps in its box; the detail is no wider than the screen", async () => {
    await signedIn();
    // Neither has a place to break a line at: a run of full stops (punctuation, which break-all
    // does not split between: the detail was ~31,000 px wide) and a token of letters with no space.
    const prompt = `${".".repeat(4_000)} ${"x".repeat(4_000)}`;
    const { response } = await ui
      .sdk(adminKey)
      .chat.completions.create({ model: "mock-chat", messages: [{ role: "user", content: prompt }] })
      .withResponse();
    const requestId = response.headers.get("x-request-id") ?? "";
    // The page reads the log once: its row written first (the audit log writes in batches).
    await auditRow(gw, requestId);
    try {
      for (const viewport of [WIDE, NARROW, NARROWEST]) {
        await page.setViewportSize(viewport);
        await page.goto(`${gw.url}/admin/requests`);
        await page.locator(`tr[data-request-id="${requestId}"] button.time`).click();
        await page
          .getByRole("region", { name: "Request body", exact: true })
          .getByText(/\.{100}/)
          .waitFor();
        const measured = await page.evaluate(() => ({
          overflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
          bodiesPastEdge: [...document.querySelectorAll(".bodies pre")].filter(
            (box) => box.getBoundingClientRect().right > window.innerWidth,
          ).length,
          // Wrapped, not a line to scroll sideways along inside the box.
          bodiesScrollingSideways: [...document.querySelectorAll(".bodies pre")].filter(
            (box) => box.scrollWidth > box.clientWidth,
          ).length,
        }));
        expect({ width: viewport.width, ...measured }).toEqual({
          width: viewport.width,
          overflow: 0,
          bodiesPastEdge: 0,
          bodiesScrollingSideways: 0,
        });
      }
    } finally {
      await page.setViewportSize(WIDE);
    }
  }, 60_000);

  test("a scroll box is a Tab stop while, and only while, it scrolls: every page at 1280, 390 and 320 px", async () => {
    await signedIn();
    await statusOf(chat(adminKey));
    try {
      for (const viewport of [WIDE, NARROW, NARROWEST]) {
        await page.setViewportSize(viewport);
        for (const name of UI_PAGES) {
          await expectingRefusals(async () => {
            await page.goto(`${gw.url}/admin/${name}`);
            await page.locator("main h1").waitFor();
            if (name === "shadow") await page.locator('[data-shadow="report"]').waitFor();
            await page.locator('[role="region"]').first().waitFor();
          }, /^$/);
          // Measured as the page draws its rows: waited for, then the boxes still wrong named.
          await stopsSettled(page);
          expect({ page: name, width: viewport.width, mismatched: await mismatchedStops(page) }).toEqual({
            page: name,
            width: viewport.width,
            mismatched: [],
          });
        }
      }
      // The window narrowed under a page already drawn: its table starts to scroll, and is a stop.
      await page.setViewportSize(WIDE);
      await page.goto(`${gw.url}/admin/keys`);
      const keys = page.getByRole("region", { name: "Keys table", exact: true });
      await page.locator("tr[data-key-name]").first().waitFor();
      await waitFor("no stop while the keys fit", async () => (await keys.getAttribute("tabindex")) === null);
      await page.setViewportSize(NARROW);
      await waitFor("a stop once they scroll", async () => (await keys.getAttribute("tabindex")) === "0");
    } finally {
      await page.setViewportSize(WIDE);
    }
  }, 120_000);

  test("at 320 px a control reached with Tab in a table's scroll box is scrolled wholly into it: a key's Revoke, after its Rotate and Limits", async () => {
    await signedIn();
    await createKey(gw, { name: "whole-in-its-box" });
    await page.setViewportSize(NARROWEST);
    try {
      await page.goto(`${gw.url}/admin/keys`);
      await page.locator("tr[data-key-name]").first().waitFor();
      await page.getByRole("button", { name: "New key" }).click();
      await page.getByRole("form", { name: "New key" }).getByLabel("Name").focus();
      // Tab on from Name, past the form's controls, the table's box and the row's Rotate and Limits.
      const revoke = page
        .getByRole("region", { name: "Keys table", exact: true })
        .getByRole("button", { name: "Revoke", exact: true })
        .first();
      for (let tabs = 0; !(await revoke.evaluate((el) => el === document.activeElement)); tabs++) {
        expect(tabs).toBeLessThan(30);
        await page.keyboard.press("Tab");
      }
      // How many px of the button are past either edge of the box's inside.
      const outside = () =>
        revoke.evaluate((button) => {
          const box = button.closest(".scroll");
          if (!box) return "no box";
          const left = box.getBoundingClientRect().left + box.clientLeft;
          const { left: from, right: to } = button.getBoundingClientRect();
          return Math.max(0, left - from) + Math.max(0, to - (left + box.clientWidth));
        });
      // Under a px: the box scrolls by whole px, the button's edges fall between them.
      await waitForOrSay(
        "Revoke wholly inside the table's box",
        async () => Number(await outside()) < 1,
        outside,
      );
    } finally {
      await page.setViewportSize(WIDE);
    }
  }, 60_000);

  test("at 390 and 320 px every page's link is in view, on every page: none hidden past the screen's edge", async () => {
    await signedIn();
    try {
      for (const viewport of [NARROW, NARROWEST]) {
        await page.setViewportSize(viewport);
        for (const name of UI_PAGES) {
          await page.goto(`${gw.url}/admin/${name}`);
          await page.locator("main h1").waitFor();
          const outOfView = await page.evaluate(() =>
            [...document.querySelectorAll<HTMLElement>('nav[aria-label="Pages"] a')]
              .filter((link) => {
                const box = link.getBoundingClientRect();
                return box.left < 0 || box.right > window.innerWidth;
              })
              .map((link) => link.textContent),
          );
          expect({ page: name, width: viewport.width, outOfView }).toEqual({
            page: name,
            width: viewport.width,
            outOfView: [],
          });
        }
      }
    } finally {
      await page.setViewportSize(WIDE);
    }
  });

  test("a page's own link, chosen on that page, adds no history entry: Back leaves the page, as after a link to the address shown", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    await page.locator("main h1").waitFor();
    const workers = page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Workers" });
    await workers.click();
    await page.getByRole("heading", { name: "Workers" }).waitFor();
    const entries = await page.evaluate(() => history.length);
    await workers.click();
    await workers.click();
    expect(await page.evaluate(() => history.length)).toBe(entries);
    await page.goBack();
    await page.waitForURL(`${gw.url}/admin/keys`);
    await page.getByRole("heading", { name: "Keys" }).waitFor();
  });

  test("the tab's title names the page, loaded or moved to: tabs and history entries told apart", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    await page.locator("main h1").waitFor();
    await titleIs("Keys · mindgw admin");
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Workers" }).click();
    await page.getByRole("heading", { name: "Workers" }).waitFor();
    await titleIs("Workers · mindgw admin");
    await page.goBack();
    await page.getByRole("heading", { name: "Keys" }).waitFor();
    await titleIs("Keys · mindgw admin");
  });

  test("models: the prices show every rate a price sets, cached input and cache write among them", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/models`);
    const prices = page.locator(".card", { has: page.getByRole("heading", { name: /^Prices/ }) });
    const row = prices.locator("tr", { has: page.locator("code", { hasText: "claude-*" }) });
    await row.waitFor();
    expect(await prices.locator("th").allTextContents()).toEqual([
      "Model",
      "Input",
      "Output",
      "Cached input",
      "Cache write",
    ]);
    expect(await row.locator("td").allTextContents()).toEqual(["claude-*", "3", "15", "0.3", "3.75"]);
    // A price that sets neither reads "–" there: its input price applies.
    const plain = prices.locator("tr", { has: page.locator("code", { hasText: "mock-chat" }) });
    expect(await plain.locator("td").allTextContents()).toEqual(["mock-chat", "2", "8", "–", "–"]);
  });

  ui.pageStayedOnLoopback();
});
