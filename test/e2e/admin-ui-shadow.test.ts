import { beforeAll, describe, expect, test } from "bun:test";
import type { Page, Route } from "playwright-core";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { createKey } from "./harness/admin-api.ts";
import { adminUi } from "./harness/admin-ui-kit.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor, waitForOrSay } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The shadow page:
// comparisons per model and their examples.

const ui = adminUi();
const {
  chat,
  jwtFor,
  signedIn,
  signInWithKey,
  shoot,
  holdRequests,
  refuseReads,
  expectingRefusals,
  loadOlderFromKeyboard,
} = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

/** The latest 50 shadow pairs, as an admin reads them. */
async function latestPairs(): Promise<ShadowPage> {
  const res = await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return (await res.json()) as ShadowPage;
}

describe("/admin in a real browser", () => {
  test("shadow: comparisons per model and an example side by side", async () => {
    await signedIn();
    // A JWT caller's pair, made here (no pair another test left is read): its figures, its
    // copy counted, both answers side by side, and its caller as on Requests, chosen to filter by id.
    // Another caller's pair before it, which the filter leaves out (run alone too).
    const other = await createKey(gw, { name: "shadow-other-ui", role: "user", models: ["*"] });
    const otherId = (await chat(other.key)).response.headers.get("x-request-id") ?? "";
    const subject = "jwt:acme:shadow-ui";
    const { response } = await chat(await jwtFor("shadow-ui", "acme"));
    const requestId = response.headers.get("x-request-id") ?? "";
    await waitFor("both pairs recorded and the JWT caller's copy counted", async () => {
      const body = await latestPairs();
      const counted = body.counts?.ended.some((c) => c.provider === "demo-shadow" && c.outcome === "ok");
      const recorded = new Set(body.records.map((r) => r.requestId));
      return counted && recorded.has(requestId) && recorded.has(otherId);
    });
    await page.goto(`${gw.url}/admin/shadow`);
    await page.locator('[data-shadow="report"] td', { hasText: "mock-chat" }).first().waitFor();
    // This node's copies: the recorded pairs' copies are over, counted by provider and outcome.
    const ok = page.locator('[data-copies-ended="demo-shadow ok"] td.num');
    expect(Number(await ok.textContent())).toBeGreaterThan(0);
    expect(await page.locator('[data-copies="in-flight"]').textContent()).toMatch(/^\d+$/);
    const pair = page.locator(`[data-shadow-pair="${requestId}"]`);
    await pair.getByRole("button").first().click();
    await pair.getByRole("heading", { name: /^Primary: provider:demo/ }).waitFor();
    await pair.getByRole("heading", { name: /^Shadow: provider:demo-shadow/ }).waitFor();
    // Each side says why its answer ended.
    expect(await pair.locator(".bodies").textContent()).toContain("finish stop");
    await shoot("shadow-example-1280");

    const theirs = pair.locator("[data-caller-id]");
    expect(await theirs.textContent()).toBe(`shadow-ui JWT, tenant acme${subject}`);
    const otherPair = page.locator(`[data-shadow-pair="${otherId}"]`);
    await otherPair.waitFor();
    const filtered = page.waitForResponse((r) => new URL(r.url()).searchParams.get("key_id") === subject);
    await theirs.getByRole("button", { name: "shadow-ui" }).click();
    await filtered;
    await otherPair.waitFor({ state: "detached" });
    expect(await page.getByLabel("Caller id").inputValue()).toBe(subject);
    const callers = await page
      .locator("[data-shadow-pair] [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(callers).toEqual([subject]);
  }, 60_000);

  test("shadow: older pairs still on their way when a caller is chosen are dropped, never added under that caller's", async () => {
    await signedIn();
    // More than a page of pairs (20) by one key, then the newest by a JWT caller.
    const many = await createKey(gw, { name: "many-pairs-ui", role: "user", models: ["*"] });
    for (let i = 0; i < 21; i += 7) await Promise.all(Array.from({ length: 7 }, () => chat(many.key)));
    const subject = "jwt:acme:race-ui";
    await chat(await jwtFor("race-ui", "acme"));
    const pairsOf = async (keyId: string) => {
      const query = new URLSearchParams({ key_id: keyId, limit: "50" });
      const res = await fetch(`${gw.url}/admin/api/shadow?${query}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.length;
    };
    await waitFor(
      "every pair recorded",
      async () => (await pairsOf(many.id)) === 21 && (await pairsOf(subject)) === 1,
    );
    const older = await holdRequests(
      (url) => url.pathname === "/admin/api/shadow" && url.searchParams.has("cursor"),
    );
    await page.goto(`${gw.url}/admin/shadow`);
    const theirs = page.locator(`[data-shadow-pair] [data-caller-id="${subject}"]`);
    await theirs.waitFor();
    await page.getByRole("button", { name: "Load older" }).click();
    await older.asked;
    await theirs.getByRole("button", { name: "race-ui" }).click();
    await page
      .locator(`[data-shadow-pair] [data-caller-id="${many.id}"]`)
      .first()
      .waitFor({ state: "detached" });
    // The older page was given up as the caller was chosen: its answer can never be added.
    await older.givenUp;
    const callers = await page
      .locator("[data-shadow-pair] [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(callers).toEqual([subject]);
  }, 60_000);

  test("shadow: Load older pressed from the keyboard keeps focus on it, or on the examples once the last page is in", async () => {
    await signedIn();
    // Over two pages (20 each) of one key's pairs, so one press leaves the button there.
    const key = await createKey(gw, { name: "paging-pairs-ui", role: "user", models: ["*"] });
    for (let i = 0; i < 45; i += 9) await Promise.all(Array.from({ length: 9 }, () => chat(key.key)));
    await waitFor("every pair recorded", async () => {
      const query = new URLSearchParams({ key_id: key.id, limit: "50" });
      const res = await fetch(`${gw.url}/admin/api/shadow?${query}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.length === 45;
    });
    await page.goto(`${gw.url}/admin/shadow?key_id=${key.id}`);
    await page.locator("[data-shadow-pair]").first().waitFor();
    await loadOlderFromKeyboard("[data-shadow-pair]", 'h2[tabindex="-1"]');
    expect(await page.locator("[data-shadow-pair]").count()).toBe(45);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Examples");
  }, 60_000);

  test("shadow: Load older whose pair was pruned since is the end of the list: said so, the button gone, not the same 400 at every press", async () => {
    await signedIn();
    // Over a page (20) of one key's pairs; the first page's cursor then names a pair gone since
    // (shadow.retention prunes the oldest, the very end of the list): the gateway answers its 400.
    const key = await createKey(gw, { name: "pruned-pairs-ui", role: "user", models: ["*"] });
    for (let i = 0; i < 21; i += 7) await Promise.all(Array.from({ length: 7 }, () => chat(key.key)));
    await waitFor("every pair recorded", async () => {
      const query = new URLSearchParams({ key_id: key.id, limit: "50" });
      const res = await fetch(`${gw.url}/admin/api/shadow?${query}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.length === 21;
    });
    const firstPage = (url: URL) => url.pathname === "/admin/api/shadow" && !url.searchParams.has("cursor");
    const prunedSince = async (route: Route) => {
      const response = await route.fetch();
      const answer = (await response.json()) as ShadowPage;
      await route.fulfill({
        response,
        json: { ...answer, nextCursor: answer.nextCursor && "pair-pruned-since" },
      });
    };
    await page.route(firstPage, prunedSince);
    try {
      await page.goto(`${gw.url}/admin/shadow?key_id=${key.id}`);
      await page.locator("[data-shadow-pair]").nth(19).waitFor();
      await expectingRefusals(async () => {
        await page.getByRole("button", { name: "Load older" }).click();
        await page.locator('[data-shadow="pruned"]').waitFor();
      }, /status of 400/);
    } finally {
      await page.unroute(firstPage, prunedSince);
    }
    expect(await page.getByRole("button", { name: "Load older" }).count()).toBe(0);
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.locator("[data-shadow-pair]").count()).toBe(20);
    // The button went with focus on it: focus is on the examples, not the top of the page.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Examples");
  }, 60_000);

  test("shadow: comparisons it cannot read are said so, never shown as none, nor as the filter's", async () => {
    await signedIn();
    const refused = "the shadow pairs could not be read (a test's refusal)";
    const key = await createKey(gw, { name: "unread-pairs-ui", role: "user", models: ["*"] });
    const requestId = (await chat(key.key)).response.headers.get("x-request-id") ?? "";
    await waitFor("the pair recorded", async () =>
      (await latestPairs()).records.some((r) => r.requestId === requestId),
    );
    await page.goto(`${gw.url}/admin/shadow`);
    await page.locator(`[data-shadow-pair="${requestId}"]`).waitFor();
    // A filter whose read fails: the pairs and figures before it are not shown as the filter's.
    await refuseReads(
      (url) => url.pathname === "/admin/api/shadow" && url.searchParams.has("model"),
      refused,
    );
    await expectingRefusals(async () => {
      await page.getByLabel("Model").fill("flaky-chat");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await page.locator("[data-shadow-pair]").count()).toBe(0);
    expect(await page.locator('[data-shadow="report"]').count()).toBe(0);
    // None read at all: said so, not "None yet."
    await refuseReads((url) => url.pathname === "/admin/api/shadow", refused);
    await expectingRefusals(async () => {
      await page.goto(`${gw.url}/admin/shadow`);
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await page.getByText("None yet.").count()).toBe(0);
  }, 60_000);

  test("shadow: a caller chosen from the keyboard whose pairs go with the filter leaves focus on the examples, not the top of the page", async () => {
    await signedIn();
    const refused = "the caller's shadow pairs could not be read (a test's refusal)";
    const key = await createKey(gw, { name: "focus-pairs-ui", role: "user", models: ["*"] });
    const requestId = (await chat(key.key)).response.headers.get("x-request-id") ?? "";
    await waitFor("the pair recorded", async () => {
      const res = await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.some((r) => r.requestId === requestId);
    });
    await page.goto(`${gw.url}/admin/shadow`);
    const pair = page.locator(`[data-shadow-pair="${requestId}"]`);
    await pair.waitFor();
    // The caller's pairs cannot be read: the pair pressed goes, with focus on its caller's name.
    await refuseReads(
      (url) => url.pathname === "/admin/api/shadow" && url.searchParams.get("key_id") === key.id,
      refused,
    );
    await expectingRefusals(async () => {
      await pair.getByRole("button", { name: "focus-pairs-ui" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    await pair.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Examples");
  }, 60_000);

  test("shadow: a filter no pair matches says so, never that no pair is recorded yet", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "unmatched-pairs-ui", role: "user", models: ["*"] });
    const requestId = (await chat(key.key)).response.headers.get("x-request-id") ?? "";
    await waitFor("the pair recorded", async () =>
      (await latestPairs()).records.some((r) => r.requestId === requestId),
    );
    await page.goto(`${gw.url}/admin/shadow`);
    await page.locator(`[data-shadow-pair="${requestId}"]`).waitFor();
    await page.getByLabel("Model").fill("no-such-shadowed-model");
    await page.keyboard.press("Enter");
    await page.locator(`[data-shadow-pair="${requestId}"]`).waitFor({ state: "detached" });
    await page.getByText("No shadow pairs match this filter.").waitFor();
    await page.getByText("No pair matches this filter.").waitFor();
    expect(await page.getByText("No shadow pairs recorded yet.").count()).toBe(0);
    expect(await page.getByText("None yet.").count()).toBe(0);
    // The filter emptied: the pairs again, and no word of a filter.
    await page.getByLabel("Model").fill("");
    await page.keyboard.press("Enter");
    await page.locator(`[data-shadow-pair="${requestId}"]`).waitFor();
    expect(await page.getByText("No shadow pairs match this filter.").count()).toBe(0);
  }, 60_000);

  test("shadow: the filters are in the address, kept on reload; Back and Forward move between them", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "address-pairs-ui", role: "user", models: ["*"] });
    const requestId = (await chat(key.key)).response.headers.get("x-request-id") ?? "";
    await waitFor("the pair recorded", async () => {
      const res = await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      return ((await res.json()) as ShadowPage).records.some((r) => r.requestId === requestId);
    });
    await page.goto(`${gw.url}/admin/shadow`);
    const pair = page.locator(`[data-shadow-pair="${requestId}"]`);
    await pair.waitFor();
    await page.getByLabel("Model").fill("mock-chat");
    await page.getByLabel("Caller id").fill("key_not-a-caller");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No pair matches this filter.").waitFor();
    // The address is written (or tidied) by an effect after a render: waited for, not read at once.
    await waitForOrSay(
      "the filters in the address",
      () => new URL(page.url()).search === "?model=mock-chat&key_id=key_not-a-caller",
      () => page.url(),
    );
    await page.reload();
    await page.getByText("No pair matches this filter.").waitFor();
    expect(await pair.count()).toBe(0);
    expect(await page.getByLabel("Model").inputValue()).toBe("mock-chat");
    expect(await page.getByLabel("Caller id").inputValue()).toBe("key_not-a-caller");
    await page.goBack();
    await pair.waitFor();
    expect(await page.getByLabel("Caller id").inputValue()).toBe("");
    await page.goForward();
    await pair.waitFor({ state: "detached" });
    expect(await page.getByLabel("Caller id").inputValue()).toBe("key_not-a-caller");
    // The same filters written another way are tidied in place, not a new entry: Back leaves the page.
    await page.goto(`${gw.url}/admin/overview`);
    await page.goto(`${gw.url}/admin/shadow?key_id=key_not-a-caller&model=mock%2Dchat&utm=x`);
    await page.getByText("No pair matches this filter.").waitFor();
    // The address is written (or tidied) by an effect after a render: waited for, not read at once.
    await waitForOrSay(
      "the filters in the address",
      () => new URL(page.url()).search === "?model=mock-chat&key_id=key_not-a-caller",
      () => page.url(),
    );
    await page.goBack();
    await page.waitForURL((url) => url.pathname === "/admin/overview", { timeout: 10_000 });
  }, 60_000);

  test("shadow: an admin key in a tenant sees its tenant's pairs alone, and not the node's copies", async () => {
    await signedIn();
    const outside = await createKey(gw, { name: "shadow-outside-ui", role: "user", models: ["*"] });
    const outsideId = (await chat(outside.key)).response.headers.get("x-request-id") ?? "";
    const insideId =
      (await chat(await jwtFor("tenant-ui", "acme"))).response.headers.get("x-request-id") ?? "";
    await waitFor("both pairs recorded", async () => {
      const recorded = new Set((await latestPairs()).records.map((r) => r.requestId));
      return recorded.has(outsideId) && recorded.has(insideId);
    });
    const ops = await createKey(gw, {
      name: "acme-shadow-ops",
      tenant: "acme",
      role: "admin",
      models: ["*"],
    });
    try {
      await signInWithKey(ops.key);
      await page.goto(`${gw.url}/admin/shadow`);
      await page.locator(`[data-shadow-pair="${insideId}"]`).waitFor();
      expect(await page.locator(`[data-shadow-pair="${outsideId}"]`).count()).toBe(0);
      const callers = await page
        .locator("[data-shadow-pair] [data-caller-id]")
        .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id") ?? ""));
      expect(callers.every((id) => id.startsWith("jwt:acme:"))).toBe(true);
      expect(await page.locator('[data-shadow="copies"]').count()).toBe(0);
    } finally {
      await signInWithKey(adminKey);
    }
  }, 60_000);

  ui.pageStayedOnLoopback();
});
