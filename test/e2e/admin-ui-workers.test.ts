import { beforeAll, describe, expect, test } from "bun:test";
import type { Page, Route } from "playwright-core";
import packageJson from "../../package.json";
import { createKey } from "./harness/admin-api.ts";
import { adminUi, STREAM_CUT, WIDE } from "./harness/admin-ui-kit.ts";
import { launchBrowser } from "./harness/browser.ts";
import { startHoldingProxy } from "./harness/holding-proxy.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, listWorkers, spawnWorker } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The workers page: workers
// connecting, draining and lost while the page watches.

const ui = adminUi();
const { signedIn, signInWithKey, sessionCookie, shoot, holdRequests, expectingRefusals, refuseReads } = ui;
let gw: GatewayProcess;
let adminKey: string;
let fake: FakeProcess;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, fake, page } = ui);
});

describe("/admin in a real browser", () => {
  test("workers: one connects and leaves while the page watches; one that drains has left, one killed is lost", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/workers`);
    await page.getByText("No worker is connected.").waitFor();
    const token = await createKey(gw, { name: "gpu-fleet", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${fake.url}/v1`,
      name: "gpu-box-1",
      // mock-chat is the config's (routed to the demo provider): no request for it reaches the worker.
      models: ["fake-model", "mock-chat"],
      labels: { zone: "a" },
    });
    try {
      await page.locator('tr[data-worker="gpu-box-1"]').waitFor({ timeout: 20_000 });
      const row = (await page.locator('tr[data-worker="gpu-box-1"]').textContent()) ?? "";
      expect(row).toContain("zone=a");
      expect(row).toContain(packageJson.version); // the worker's own version, from its register frame
      const shadowed = page.locator('tr[data-worker="gpu-box-1"] [data-shadowed-models]');
      expect(await shadowed.getAttribute("data-shadowed-models")).toBe("mock-chat");
      expect(await shadowed.textContent()).toBe("mock-chat — routed elsewhere by the config");
      expect(await shadowed.locator("s bdi").textContent()).toBe("mock-chat");
      expect(row).not.toContain("out of rotation"); // its model server answers
      await shoot("workers-connected-1280");
    } finally {
      await worker.stop();
    }
    // SIGTERM: it drained (nothing in flight) and closed its connection itself: left, no failure.
    const left = page.locator('[data-gone-worker="gpu-box-1"]');
    await left.waitFor({ timeout: 20_000 });
    await page.locator('tr[data-worker="gpu-box-1"]').waitFor({ state: "detached" });
    expect(await left.getAttribute("data-gone")).toBe("left");
    expect(await left.textContent()).toMatch(/^gpu-box-1 left at \d{2}:\d{2}:\d{2}, its drain over — .+$/);
    expect(await left.locator(".badge.bad").count()).toBe(0);
    // SIGKILL: its connection cut, no drain: lost, with the reason.
    const killed = spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${fake.url}/v1`,
      name: "gpu-box-2",
      models: ["fake-model"],
    });
    try {
      await page.locator('tr[data-worker="gpu-box-2"]').waitFor({ timeout: 20_000 });
    } finally {
      await killed.stop("SIGKILL");
    }
    const lost = page.locator('[data-gone-worker="gpu-box-2"]');
    await lost.waitFor({ timeout: 20_000 });
    expect(await lost.getAttribute("data-gone")).toBe("lost");
    expect(await lost.locator(".badge.bad").textContent()).toBe("lost");
    expect(await lost.textContent()).toMatch(/^gpu-box-2 lost at \d{2}:\d{2}:\d{2} — .+ \(0 in flight\)$/);
    expect(await left.getAttribute("data-gone")).toBe("left");
  }, 60_000);

  test("workers: a list it cannot read is said so, never shown as no worker connected", async () => {
    await signedIn();
    const refused = "the workers could not be read (a test's refusal)";
    await refuseReads((url) => url.pathname === "/admin/api/workers", refused);
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/workers`);
      await page.getByRole("alert").getByText(refused).waitFor();
      expect(await page.getByText("No worker is connected.").count()).toBe(0);
      expect(await page.locator(".page-head").textContent()).not.toContain("0 connected");
      await page.goto(`${gw.url}/admin/models`);
      await page.getByRole("heading", { name: "Models and providers" }).waitFor();
    }, /status of 503/);
  }, 60_000);

  test("workers: a list answered by a proxy's HTML page (200) is said readably, naming what was read, not as a parser's error", async () => {
    await signedIn();
    // A proxy in front of the gateway (its session over) answers with its own login page, 200.
    const loginPage = (route: Route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Sign in</title>" });
    const workers = (url: URL) => url.pathname === "/admin/api/workers";
    await page.route(workers, loginPage);
    ui.fx.deferTest(() => page.unroute(workers, loginPage));
    await page.goto(`${gw.url}/admin/workers`);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      "/admin/api/workers answered 200 with text/html, not JSON: a proxy in front of the gateway may have answered in its stead",
    );
  }, 60_000);

  test("workers: a worker's drain shows as it is announced, not at the page's next poll", async () => {
    await signedIn();
    const token = await createKey(gw, { name: "drain-fleet", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${fake.url}/v1`,
      name: "gpu-drain",
      models: ["fake-model"],
    });
    const holding = new AbortController();
    // A browser of its own, whose clock the test moves: the page's 10 s poll never comes.
    const watcher = await launchBrowser();
    try {
      await watcher.context.addCookies([await sessionCookie()]);
      await watcher.context.clock.install();
      const watching = await watcher.newPage(WIDE);
      await watching.goto(`${gw.url}/admin/workers`);
      const row = watching.locator('tr[data-worker="gpu-drain"]');
      await row.waitFor({ timeout: 20_000 });
      // Paused a second past the page's own clock, read from the page: a time read here and
      // sent 100 ms ahead was in the page's past under load ("Cannot fast-forward to the past").
      await watcher.context.clock.pauseAt((await watching.evaluate(() => Date.now())) + 1_000);
      // gpu-drain holds a call its upstream never answers: it drains, still listed, till that ends.
      const held = fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "fake-model",
          messages: [{ role: "user", content: "ui drain hold [[fake:hang]]" }],
        }),
        signal: holding.signal,
      }).catch(() => undefined);
      await waitFor("the upstream to have gpu-drain's call", async () =>
        (await fake.requests()).some((r) => JSON.stringify(r.body).includes("ui drain hold")),
      );
      worker.proc.kill("SIGTERM");
      // The page's timers (its effects' frames among them) run a few ms of its clock a poll, a tenth
      // of the time that passes: nowhere near its 10 s poll, whatever the wait.
      const badge = row.locator(".badge", { hasText: "draining" });
      await waitFor(
        "the draining badge",
        async () => {
          await watcher.context.clock.runFor(2);
          return (await badge.count()) === 1;
        },
        15_000,
      );
      holding.abort();
      await held;
    } finally {
      holding.abort();
      await watcher.close();
      await worker.stop();
    }
  }, 60_000);

  test("workers and models: a refresh that fails keeps the last figures, marked as of when they were read", async () => {
    await signedIn();
    const clockTime = /\d\d:\d\d:\d\d/.source;
    await page.goto(`${gw.url}/admin/workers`);
    const head = page.locator(".page-head");
    await head.getByText(/^\d+ connected$/).waitFor();
    const workersRefused = "the workers could not be read (a test's refusal)";
    const routingRefused = "the routing could not be read (a test's refusal)";
    await expectingRefusals(async () => {
      await refuseReads((url) => url.pathname === "/admin/api/workers", workersRefused);
      // The page's next poll (every 10 s) fails: the count stays, said to be as of the read before.
      const count = head.locator("[data-stale]");
      await count.waitFor({ timeout: 20_000 });
      expect(await count.textContent()).toMatch(new RegExp(`^\\d+ connected, as of ${clockTime}$`));
      expect(await page.getByRole("alert").textContent()).toBe(workersRefused);

      await page.goto(`${gw.url}/admin/models`);
      await page.getByRole("heading", { name: "Routing table" }).waitFor();
      const badges = page.locator("ol.routes .badge");
      expect(await badges.count()).toBeGreaterThan(0);
      expect(await page.locator("ol.routes .badge.stale").count()).toBe(0);
      await refuseReads((url) => url.pathname === "/admin/api/routing", routingRefused);
      const note = page.locator("p[data-stale]");
      await note.waitFor({ timeout: 20_000 });
      expect(await note.textContent()).toMatch(
        new RegExp(`^Route health as of ${clockTime}: the last refresh failed\\.$`),
      );
      expect(await page.locator("ol.routes .badge.stale").count()).toBe(await badges.count());
      expect(await page.getByRole("alert").textContent()).toBe(routingRefused);
    }, /status of 503/);
  }, 60_000);

  test("workers: one that leaves while the page's event stream is down is listed as gone once it is back; those seen leaving before stay", async () => {
    await signedIn();
    // The page reads the gateway through a proxy that can cut its connections, as a network would.
    const proxy = await startHoldingProxy({ hostname: "127.0.0.1", port: gw.port });
    ui.fx.deferTest(() => proxy.stop());
    const token = await createKey(gw, { name: "away-fleet", role: "worker", models: ["*"] });
    const worker = (name: string) =>
      spawnWorker({
        gateway: gw.url,
        token: token.key,
        upstream: `${fake.url}/v1`,
        name,
        models: ["fake-model"],
      });
    const seen = worker("gpu-seen");
    const unseen = worker("gpu-unseen");
    try {
      await page.goto(`http://127.0.0.1:${proxy.port}/admin/workers`);
      await page.locator('tr[data-worker="gpu-seen"]').waitFor({ timeout: 20_000 });
      await page.locator('tr[data-worker="gpu-unseen"]').waitFor({ timeout: 20_000 });
      await seen.stop();
      const left = page.locator('[data-gone-worker="gpu-seen"]');
      await left.waitFor({ timeout: 20_000 });
      await expectingRefusals(async () => {
        // The page's next event stream is held: gpu-unseen leaves while the page has none.
        const stream = await holdRequests((url) => url.pathname === "/admin/api/events");
        proxy.cut();
        const reconnect = await stream.asked;
        await unseen.stop();
        await waitFor(
          "the gateway to list gpu-unseen no more",
          async () => !(await listWorkers(gw.url, adminKey)).some((w) => w.name === "gpu-unseen"),
        );
        await reconnect.continue();
        const missed = page.locator('[data-gone-worker="gpu-unseen"]');
        await missed.waitFor({ timeout: 20_000 });
        expect(await missed.getAttribute("data-gone")).toBe("unseen");
        expect(await missed.textContent()).toMatch(
          /^gpu-unseen left while this page's event stream was down, between .+ and .+: why is not known$/,
        );
        await page.locator('tr[data-worker="gpu-unseen"]').waitFor({ state: "detached" });
      }, STREAM_CUT);
      // What the page saw leave before the stream dropped is still listed, reason and all.
      expect(await left.getAttribute("data-gone")).toBe("left");
      expect(await left.textContent()).toMatch(/^gpu-seen left at \d{2}:\d{2}:\d{2}, its drain over — .+$/);
      await shoot("workers-gone-while-away-1280");
    } finally {
      // Off the proxy before it stops: its cut of the page's open event stream would be logged as
      // a failed load in whichever test runs next.
      await page.goto("about:blank");
      await seen.stop();
      await unseen.stop();
    }
  }, 60_000);

  test("workers: an admin in a tenant is shown a platform worker's capacity alone, and why: its requests in flight are every tenant's", async () => {
    const tenantAdmin = await createKey(gw, { name: "team-workers", tenant: "team-a", role: "admin" });
    const token = await createKey(gw, { name: "shared-fleet", role: "worker", models: ["*"] });
    const worker = spawnWorker({
      gateway: gw.url,
      token: token.key,
      upstream: `${fake.url}/v1`,
      name: "shared-box",
      models: ["fake-model"],
    });
    try {
      // A sign-in ends nothing of the page it leaves, but a stream cut as the page goes (a
      // loaded machine) is logged as a failed load: that alone is allowed here.
      await expectingRefusals(() => signInWithKey(tenantAdmin.key), STREAM_CUT);
      await page.goto(`${gw.url}/admin/workers`);
      const row = page.locator('tr[data-worker="shared-box"]');
      await row.waitFor({ timeout: 20_000 });
      const load = row.locator('[data-load="hidden"]');
      expect(await load.textContent()).toMatch(/^–\/\d+$/);
      expect(await load.getAttribute("title")).toContain("every tenant's");
      expect(await row.locator("meter").count()).toBe(0);
      expect(await row.textContent()).not.toContain("undefined");
      // The admin outside every tenant sees the figure. (Each sign-in leaves the page first: a
      // session's end ends its event stream, which the browser would log as a failed load.)
      await expectingRefusals(() => signInWithKey(adminKey), STREAM_CUT);
      await page.goto(`${gw.url}/admin/workers`);
      await row.locator("meter").waitFor({ timeout: 20_000 });
      expect(await row.locator('[data-load="hidden"]').count()).toBe(0);
    } finally {
      await expectingRefusals(() => signInWithKey(adminKey), STREAM_CUT);
      await worker.stop("SIGKILL");
    }
  }, 60_000);

  ui.pageStayedOnLoopback();
});
