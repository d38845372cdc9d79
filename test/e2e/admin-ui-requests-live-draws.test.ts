import { beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The Requests page's live mode under a burst of requests, in a real browser
// (harness/admin-ui-kit.ts): rows are drawn in batches, a few times a second at most, none lost,
// and the count said to screen readers is of the rows live mode listed.

const ui = adminUi();
let gw: GatewayProcess;
let page: Page;
beforeAll(() => {
  ({ gw, page } = ui);
});

const CALLERS = 4;
const PER_CALLER = 30;

/** Each time the table's rows change: when (the page's clock, ms), recorded in the page. */
const watchDraws = () =>
  page.evaluate(() => {
    const draws: number[] = [];
    (window as unknown as { draws: number[] }).draws = draws;
    const body = document.querySelector("table.requests tbody") as Element;
    new MutationObserver(() => draws.push(performance.now())).observe(body, { childList: true });
  });

describe("/admin live mode under a burst", () => {
  test("rows that come faster than a few a second are drawn in batches, every one listed and counted once", async () => {
    await ui.signedIn();
    const key = await createKey(gw, { name: "burst-ui", role: "user", models: ["*"] });
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator('form.filters input[name="key"]').fill(key.id);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No requests match.").waitFor();
    // The log read as the stream connects is answered before the first request is sent: it lists
    // none, so every draw watched is of rows that came live (each counted either way, by its event
    // or by a read of the log: both are new since live mode began).
    const connectRead = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/admin/api/audit",
    );
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    await (await connectRead).finished();
    await watchDraws();
    // A steady stream: a few callers, each sending its next request as its last one ends, so
    // events come milliseconds apart for a few seconds.
    const sent: string[] = [];
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, caller) => {
        for (let i = 0; i < PER_CALLER; i++) {
          const id = `burst-${caller}-${i}`;
          sent.push(id);
          await ui
            .sdk(key.key)
            .chat.completions.create(
              { model: "mock-chat", messages: [{ role: "user", content: "x" }] },
              { headers: { "x-request-id": id } },
            );
        }
      }),
    );
    const rows = page.locator("table.requests tbody tr");
    await waitFor("every request listed", async () => (await rows.count()) === sent.length, 30_000);
    const listed = await rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-request-id")));
    expect(listed.toSorted()).toEqual(sent.toSorted());
    await page
      .getByRole("status")
      .getByText(`${sent.length} new requests since live mode or its filters began`, { exact: true })
      .waitFor();
    // Drawn at most every LIVE_DRAW_MS (250 ms): consecutive draws no closer than that, less a
    // margin for a draw's own time. A timer never fires early, so a slow machine only spaces them
    // more; drawn per row, as before, they came milliseconds apart.
    const draws = await page.evaluate(() => (window as unknown as { draws: number[] }).draws);
    const gaps = draws.slice(1).map((at, i) => Math.round(at - (draws[i] ?? 0)));
    expect({ draws: draws.length, closeTogether: gaps.filter((gap) => gap < 150) }).toEqual({
      draws: draws.length,
      closeTogether: [],
    });
  }, 90_000);
});

// Last in this file: the script shifts the page's clock for every page it loads after this.
describe("/admin live mode, the page's clock behind the gateway's", () => {
  test("a row that finished before Live was turned on is listed, not said to have come since, however far behind the browser's clock is", async () => {
    await ui.signedIn();
    // The browser's host a minute behind the gateway's: the gateway's clock stamps every row.
    await page.addInitScript(() => {
      const real = Date.now;
      Date.now = () => real() - 60_000;
    });
    const key = await createKey(gw, { name: "skew-ui", role: "user", models: ["*"] });
    const send = (id: string) =>
      ui
        .sdk(key.key)
        .chat.completions.create(
          { model: "mock-chat", messages: [{ role: "user", content: "x" }] },
          { headers: { "x-request-id": id } },
        );
    const before = `skew-before-${Date.now()}`;
    await send(before);
    await auditRow(gw, before);
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator('form.filters input[name="key"]').fill(key.id);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator(`tr[data-request-id="${before}"]`).waitFor();
    const connectRead = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/admin/api/audit",
    );
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    await (await connectRead).finished();
    // One request once live mode is on: drawn after the connect read, so what the page then says
    // counts all the rows it will count.
    const after = `skew-after-${Date.now()}`;
    await send(after);
    await page.locator(`tr[data-request-id="${after}"]`).waitFor();
    await page
      .getByRole("status")
      .getByText(/^\d+ new requests? since live mode or its filters began$/)
      .waitFor();
    expect(await page.getByRole("status").textContent()).toBe(
      "1 new request since live mode or its filters began",
    );
  }, 60_000);
});

ui.pageStayedOnLoopback();
