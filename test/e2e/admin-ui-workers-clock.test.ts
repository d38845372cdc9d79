/**
 * The Workers page's "Up" and "Last heartbeat" on a gateway whose wall clock is off the browser's
 * (libfaketime, skewed-clock.ts): five minutes behind, as a host whose NTP is off would be. They are
 * times the gateway stamped, so they are counted on its clock; counted on the page's, a worker
 * whose heartbeats came every few seconds read "5m ago".
 */
import { expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { adminUi, STREAM_CUT } from "./harness/admin-ui-kit.ts";
import { startHoldingProxy } from "./harness/holding-proxy.ts";
import { skewedClock } from "./harness/skewed-clock.ts";
import { listWorkers, spawnWorker } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

const ui = adminUi({ env: skewedClock(-300) });

test("workers: a worker's uptime and last heartbeat are counted on the gateway's clock, not the page's", async () => {
  const { page, gw, fake } = ui;
  await ui.signedIn();
  await page.goto(`${gw.url}/admin/workers`);
  await page.getByText("No worker is connected.").waitFor();
  const token = await createKey(gw, { name: "skewed-fleet", role: "worker", models: ["*"] });
  const worker = spawnWorker({
    gateway: gw.url,
    token: token.key,
    upstream: `${fake.url}/v1`,
    name: "skewed-box",
    models: ["fake-model"],
  });
  try {
    const row = page.locator('tr[data-worker="skewed-box"]');
    await row.waitFor({ timeout: 20_000 });
    const heartbeat = row.locator("td[data-last-heartbeat]");
    const uptime = row.locator("td[data-uptime]");
    // Seconds, as the gateway counts them: never minutes of a clock the page does not share.
    await waitFor(
      "the heartbeat and uptime read in seconds",
      async () =>
        /^\d+s ago$/.test((await heartbeat.textContent()) ?? "") &&
        /^\d+s$/.test((await uptime.textContent()) ?? ""),
    ).catch(async (error) => {
      throw new Error(`${error}: "${await heartbeat.textContent()}", up "${await uptime.textContent()}"`);
    });
    expect(Number.parseInt((await heartbeat.textContent()) ?? "", 10)).toBeLessThan(60);
  } finally {
    await worker.stop();
  }
}, 90_000);

/** Seconds from `from` to `to`, two HH:MM:SS on one clock, the shorter way round midnight. */
function secondsBetween(from: string, to: string): number {
  const seconds = (hms: string) => hms.split(":").reduce((total, part) => total * 60 + Number(part), 0);
  const day = 24 * 3600;
  return ((((seconds(to) - seconds(from)) % day) + day + day / 2) % day) - day / 2;
}

test("workers: when one left while the page's event stream was down is told on the gateway's clock, as 'left at' is", async () => {
  const { page, gw, fake, adminKey } = ui;
  await ui.signedIn();
  // The page reads the gateway through a proxy that can cut its connections, as a network would.
  const proxy = await startHoldingProxy({ hostname: "127.0.0.1", port: gw.port });
  ui.fx.deferTest(() => proxy.stop());
  const token = await createKey(gw, { name: "skewed-away", role: "worker", models: ["*"] });
  const worker = (name: string) =>
    spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${fake.url}/v1`,
      name,
      models: ["fake-model"],
    });
  const seen = worker("skewed-seen");
  const unseen = worker("skewed-unseen");
  try {
    await page.goto(`http://127.0.0.1:${proxy.port}/admin/workers`);
    await page.locator('tr[data-worker="skewed-seen"]').waitFor({ timeout: 20_000 });
    await page.locator('tr[data-worker="skewed-unseen"]').waitFor({ timeout: 20_000 });
    await seen.stop();
    const left = page.locator('[data-gone-worker="skewed-seen"]');
    await left.waitFor({ timeout: 20_000 });
    const leftAt = /left at (\d{2}:\d{2}:\d{2})/.exec((await left.textContent()) ?? "")?.[1] ?? "";
    await ui.expectingRefusals(async () => {
      // The page's next event stream is held: skewed-unseen leaves while the page has none.
      const stream = await ui.holdRequests((url) => url.pathname === "/admin/api/events");
      proxy.cut();
      const reconnect = await stream.asked;
      await unseen.stop();
      await waitFor(
        "the gateway to list skewed-unseen no more",
        async () => !(await listWorkers(gw.url, adminKey)).some((w) => w.name === "skewed-unseen"),
      );
      await reconnect.continue();
      const missed = page.locator('[data-gone-worker="skewed-unseen"]');
      await missed.waitFor({ timeout: 20_000 });
      const text = (await missed.textContent()) ?? "";
      const [, from = "", to = ""] = /between (\d{2}:\d{2}:\d{2}) and (\d{2}:\d{2}:\d{2})/.exec(text) ?? [];
      // After skewed-seen left, on the same clock: seconds after, never the page's five minutes ahead.
      const after = { from: secondsBetween(leftAt, from), to: secondsBetween(leftAt, to) };
      expect({
        text,
        after,
        fromSoon: after.from >= -1 && after.from < 120,
        toSoon: after.to >= after.from && after.to < 120,
      }).toMatchObject({
        fromSoon: true,
        toSoon: true,
      });
    }, STREAM_CUT);
  } finally {
    // Off the proxy before it stops: its cut of the page's open event stream would be logged.
    await page.goto("about:blank");
    await seen.stop();
    await unseen.stop();
  }
}, 90_000);

test("workers: a refresh that fails says 'as of' when the figures were read on the gateway's clock, as the times beside them", async () => {
  const { page, gw } = ui;
  await ui.signedIn();
  await page.goto(`${gw.url}/admin/workers`);
  const head = page.locator(".page-head");
  await head.getByText(/^\d+ connected$/).waitFor();
  // The gateway's time of day as the page shows times: its Date header, drawn on the page's clock face.
  const dated = await fetch(`${gw.url}/healthz`);
  await dated.arrayBuffer();
  const gatewayAt = await page.evaluate(
    (at) => {
      const d = new Date(at);
      return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
    },
    Date.parse(dated.headers.get("date") ?? ""),
  );
  await ui.expectingRefusals(async () => {
    await ui.refuseReads((url) => url.pathname === "/admin/api/workers", "workers unread (a test's refusal)");
    // The next poll (every 10 s) fails: the count stays, as of the read before it.
    const count = head.locator("[data-stale]");
    await count.waitFor({ timeout: 20_000 });
    const text = (await count.textContent()) ?? "";
    const asOf = /as of (\d{2}:\d{2}:\d{2})$/.exec(text)?.[1] ?? "";
    // Read within a poll or two of the gateway's Date above: never the page's clock, 5 min ahead.
    const after = secondsBetween(gatewayAt, asOf);
    expect({ text, gatewayAt, after, soon: after > -30 && after < 60 }).toMatchObject({ soon: true });
  }, /status of 503/);
}, 90_000);

ui.pageStayedOnLoopback();
