import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { launchBrowser, type TestBrowser } from "./harness/browser.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The Requests page's live mode on a cluster node, in a real browser, when another node does not
// answer the stream's ask to write its queued rows (DEPLOYMENT.md "Live traffic"): the stream
// opens saying so (`node.unanswered`), and the page's first read of the log misses that node's
// last requests. The page ignored the event: it said nothing, and listed them only at its next
// connect. A node frozen (SIGSTOP) is the slow one; continued, it writes its rows.

const fx = gatewayFixture({ gateway: false, fake: null });
let watched: GatewayProcess;
let slow: GatewayProcess;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("live_unanswered_ui");
  // No heartbeat within the test: the watched node lists the slow one from its start. A node is
  // given a quarter of redis_timeout (2 s) to say it heard the ask. The slow node holds its rows
  // for the longest flush window.
  const node = (name: string, flush: string) =>
    fx.startNode({
      name,
      databaseUrl,
      redisUrl: redis.url,
      heartbeat: "10m",
      redisTimeout: "8s",
      extra: { audit: { flush_ms: flush } },
    });
  slow = await node("slow", "10s");
  watched = await node("watched", "20ms");
  browser = await launchBrowser();
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

const listedIds = () =>
  page
    .locator("table.requests tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-request-id") ?? ""));

test("a node that did not answer as live mode connected is named, and its rows, written once it answers, are listed without a reconnect", async () => {
  const key = slow.adminKey ?? watched.adminKey ?? "";
  await page.goto(`${watched.url}/admin/`);
  await page.getByLabel("Admin key").fill(key);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  // Finished on the slow node, its row held in its batch (10 s), its event relayed to nobody.
  const tag = `unanswered-${Date.now()}`;
  const answered = await fetch(`${slow.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-request-id": tag },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "x" }] }),
  });
  expect(answered.status).toBe(200);
  await answered.text();
  slow.proc.kill("SIGSTOP");
  try {
    await page.goto(`${watched.url}/admin/requests`);
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor({ timeout: 30_000 });
    await page.getByText("node slow did not answer as the stream opened").waitFor({ timeout: 10_000 });
    expect(await listedIds()).not.toContain(tag);
  } finally {
    slow.proc.kill("SIGCONT");
  }
  // Continued, it hears the ask, writes its rows and answers: the page reads the log again.
  await waitFor("the slow node's request listed", async () => (await listedIds()).includes(tag), 40_000);
  // Read again, the page no longer says its last requests may not show yet (it said so still).
  const line = page.getByRole("status").filter({ hasText: "did not answer" });
  expect(await line.textContent()).toBe(
    "Node slow did not answer as the stream opened (killed, or slow): the log was read again 10 s later; its requests not written by then will not show.",
  );
  expect(browser.problems).toEqual([]);
}, 120_000);
