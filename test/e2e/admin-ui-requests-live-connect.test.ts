import { beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The Requests page's live mode as it connects, in a real browser (harness/admin-ui-kit.ts), on a
// gateway whose audit writer holds rows for the longest flush window (10 s): a request's
// `request.finished` event is published when it ends, its row written with the next batch.

const FLUSH_MS = 10_000;
const ui = adminUi({ audit: { flush_ms: FLUSH_MS } });
let gw: GatewayProcess;
let page: Page;
beforeAll(() => {
  ({ gw, page } = ui);
});

const listedIds = () =>
  page
    .locator("table.requests tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-request-id") ?? ""));

describe("/admin live mode as it connects", () => {
  test("a request that finished just before live mode connected, its audit row still in the writer's batch, is listed", async () => {
    await ui.signedIn();
    const key = await createKey(gw, { name: "queued-row-ui", role: "user", models: ["*"] });
    const tag = `queued-${Date.now()}`;
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator('form.filters input[name="key"]').fill(key.id);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No requests match.").waitFor();
    // Finished before live mode is on (its event published to no stream of this page), its row
    // still in the writer's batch.
    await ui
      .sdk(key.key)
      .chat.completions.create(
        { model: "mock-chat", messages: [{ role: "user", content: "x" }] },
        { headers: { "x-request-id": tag } },
      );
    expect(await auditRecords(gw, { key: key.id })).toEqual([]);
    // The page reads the log as its stream connects: the row is listed, though its event came
    // before the stream and its batch was not due yet (it was not listed before this fix, not even
    // once the batch was written: the page reads the log again only at its next connect).
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    await waitFor("the request listed", async () => (await listedIds()).includes(tag), 15_000);
    expect(await listedIds()).toEqual([tag]);
  }, 90_000);
});

ui.pageStayedOnLoopback();
