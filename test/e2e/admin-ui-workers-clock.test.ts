/**
 * The Workers page's "Up" and "Last heartbeat" on a gateway whose wall clock is off the browser's
 * (libfaketime, skewed-clock.ts): five minutes behind, as a host whose NTP is off would be. They are
 * times the gateway stamped, so they are counted on its clock; counted on the page's, a worker
 * whose heartbeats came every few seconds read "5m ago".
 */
import { expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import { skewedClock } from "./harness/skewed-clock.ts";
import { spawnWorker } from "./harness/spawn-worker.ts";
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

ui.pageStayedOnLoopback();
