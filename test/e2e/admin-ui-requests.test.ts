import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { adminUi, NARROW, WIDE } from "./harness/admin-ui-kit.ts";
import { focusReaches } from "./harness/focus.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane in a real browser (harness/admin-ui-kit.ts). The requests page: live
// rows, the log, its filters and export, a request's detail and its attempts.

const ui = adminUi();
const {
  sdk,
  chat,
  jwtFor,
  signedIn,
  leftOf,
  shoot,
  holdRequests,
  expectingRefusals,
  refuseReads,
  loadOlderFromKeyboard,
} = ui;
let gw: GatewayProcess;
let adminKey: string;
let page: Page;
beforeAll(() => {
  ({ gw, adminKey, page } = ui);
});

/** A chat call under this request id (each its own row: the log tells rows by start and id). */
const sendAs = (apiKey: string, requestId: string, content = "x", signal?: AbortSignal) =>
  sdk(apiKey).chat.completions.create(
    {
      model: content.startsWith("[[fake:") ? "flaky-chat" : "mock-chat",
      messages: [{ role: "user", content }],
    },
    { headers: { "x-request-id": requestId }, ...(signal ? { signal } : {}) },
  );

/** The Requests page of one caller's rows (its key's id in the Key filter), live mode on. */
async function liveRowsOf(keyId: string) {
  await page.goto(`${gw.url}/admin/requests`);
  await page.locator('form.filters input[name="key"]').fill(keyId);
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByLabel("Live").check();
  await page.locator(".dot.on").waitFor();
}

/** The request ids the list shows, top to bottom. */
const listedIds = () =>
  page
    .locator("table.requests tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-request-id") ?? ""));

describe("/admin in a real browser", () => {
  test("requests: one appears live, then filter the log and open it; export", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/requests`);
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    const { response } = await chat(adminKey);
    const requestId = response.headers.get("x-request-id") ?? "";
    await page.locator(`tr[data-request-id="${requestId}"]`).waitFor();

    const missing = await sdk(adminKey)
      .chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] })
      .withResponse()
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const missingId = (missing as InstanceType<typeof OpenAI.NotFoundError>).requestID ?? "";
    await page.locator(`tr[data-request-id="${missingId}"]`).waitFor(); // live, unfiltered
    await page.getByLabel("Live").uncheck();
    await page.getByLabel("Model").fill("mock-chat");
    await page.getByLabel("Status").selectOption("2xx");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator(`tr[data-request-id="${missingId}"]`).waitFor({ state: "detached" }); // filtered
    await page.locator(`tr[data-request-id="${requestId}"]`).waitFor();
    const models = await page.locator("table.requests tbody tr td:nth-child(4)").allTextContents();
    expect(models.length).toBeGreaterThan(0);
    expect(new Set(models)).toEqual(new Set(["mock-chat"]));

    await page.getByRole("button", { name: `Open request ${requestId}` }).click();
    const detail = page.locator("section.detail");
    await detail.getByRole("heading", { name: `Request ${requestId}` }).waitFor();
    expect(await detail.textContent()).toContain("provider:demo");
    await detail.getByText("hello from the admin test").first().waitFor(); // the stored request body
    await shoot("request-detail-1280");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export NDJSON" }).click();
    const file = await (await download).path();
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { requestId: string; model: string });
    expect(lines.map((l) => l.requestId)).toContain(requestId);
    expect(lines.every((l) => l.model === "mock-chat")).toBe(true);
  }, 60_000);

  test("requests: calls that share an x-request-id are rows of their own, live and in the log, each opening its own", async () => {
    await page.goto(`${gw.url}/admin/requests`);
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    // A backend passing its own request id to the calls it fans out: one id, two requests.
    const id = `fanned-${Date.now()}`;
    for (const content of ["the first of two", "the second of two"]) {
      const { response } = await sdk(adminKey)
        .chat.completions.create(
          { model: "mock-chat", messages: [{ role: "user", content }] },
          { headers: { "x-request-id": id } },
        )
        .withResponse();
      expect(response.headers.get("x-request-id")).toBe(id);
      // Each its own millisecond: the audit log tells rows apart by their start and id.
      const started = Date.now();
      await waitFor("the next millisecond", () => Date.now() > started);
    }
    const rows = page.locator(`tr[data-request-id="${id}"]`);
    await waitFor("both live rows", async () => (await rows.count()) === 2);
    await page.getByLabel("Live").uncheck();
    await page.getByLabel("Model").fill("mock-chat");
    await page.getByRole("button", { name: "Apply" }).click();
    await waitFor("both rows from the log", async () => (await rows.count()) === 2);
    // Each opens its own request: its own body, and only it drawn selected.
    const opened: string[] = [];
    for (const n of [0, 1]) {
      await page
        .getByRole("button", { name: `Open request ${id}` })
        .nth(n)
        .click();
      const detail = page.locator("section.detail");
      await detail
        .getByText(/the (first|second) of two/)
        .first()
        .waitFor();
      opened.push(
        (await detail
          .getByText(/the (first|second) of two/)
          .first()
          .textContent()) ?? "",
      );
      expect(await page.locator("tr.selected").count()).toBe(1);
      // Escape is heard once the detail's effects have run (focus on its heading, then its key
      // listener): pressed the moment its text is drawn, it could go unheard under load.
      await focusReaches(detail.locator("#detail-title"), "focus on the detail's heading");
      await page.keyboard.press("Escape");
      await detail.waitFor({ state: "detached" });
    }
    expect(opened.map((text) => text.match(/the (first|second) of two/)?.[0]).sort()).toEqual([
      "the first of two",
      "the second of two",
    ]);
  }, 60_000);

  test("requests: the detail lists every route and failover attempt", async () => {
    await signedIn();
    const { response } = await sdk(adminKey)
      .chat.completions.create({
        model: "flaky-chat",
        messages: [{ role: "user", content: "[[fake:status=500]] hi" }],
      })
      .withResponse();
    const requestId = response.headers.get("x-request-id") ?? "";
    await page.goto(`${gw.url}/admin/requests`);
    await page.getByLabel("Model").fill("flaky-chat");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("button", { name: `Open request ${requestId}` }).click();
    const attempts = page.getByRole("table", { name: "Route and failover attempts" });
    await attempts.waitFor();
    const rows = await attempts
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent ?? "").slice(1, 6)),
      );
    // routing.retries defaults to 1: two tries on the failing route, then the failover.
    const failed = ["provider:flaky", "flaky-model", "failed", "500", "upstream_error"];
    expect(rows).toEqual([failed, failed, ["provider:demo", "mock", "answered", "–", "–"]]);
    await shoot("request-attempts-1280");
  }, 60_000);

  test("requests: the admin API's own calls are left out, in the list and live, until asked for", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/requests`);
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    const status = await fetch(`${gw.url}/admin/api/status`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const adminId = status.headers.get("x-request-id") ?? "";
    await status.arrayBuffer();
    const { response } = await chat(adminKey);
    // The admin call finished first, on the same event stream: had it been shown, it would be by now.
    await page.locator(`tr[data-request-id="${response.headers.get("x-request-id")}"]`).waitFor();
    expect(await page.locator(`tr[data-request-id="${adminId}"]`).count()).toBe(0);
    await page.getByLabel("Live").uncheck();
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("table.requests tbody tr").first().waitFor();
    const doors = await page.locator("table.requests tbody tr td:nth-child(4)").allTextContents();
    expect(doors).not.toContain("admin");
    await page.getByLabel("Admin API calls").check();
    await page.locator(`tr[data-request-id="${adminId}"]`).waitFor();
  }, 60_000);

  test("requests: each caller shown as who it is (a key by its name, a JWT subject with its tenant), its id beside; choosing one filters by that id", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "dup-ui", role: "user", models: ["*"] });
    const requestIdOf = async (apiKey: string) =>
      (await chat(apiKey)).response.headers.get("x-request-id") ?? "";
    const byKey = await requestIdOf(key.key);
    const byJwt = await requestIdOf(await jwtFor("dup-ui", "acme"));
    await auditRow(gw, byKey);
    await auditRow(gw, byJwt);
    await page.goto(`${gw.url}/admin/requests`);
    const callerOf = (requestId: string) =>
      page.locator(`tr[data-request-id="${requestId}"] [data-caller-id]`);
    await callerOf(byJwt).waitFor();
    expect(await callerOf(byKey).getAttribute("data-caller-id")).toBe(key.id);
    expect(await callerOf(byKey).textContent()).toBe(`dup-ui key${key.id}`);
    expect(await callerOf(byKey).getAttribute("title")).toBe(key.id);
    expect(await callerOf(byJwt).getAttribute("data-caller-id")).toBe("jwt:acme:dup-ui");
    expect(await callerOf(byJwt).textContent()).toBe("dup-ui JWT, tenant acmejwt:acme:dup-ui");
    await shoot("requests-callers-1280");

    // Chosen, the JWT caller alone: by its id, never the key of the same name.
    await callerOf(byJwt).getByRole("button", { name: "dup-ui" }).click();
    await page.locator(`tr[data-request-id="${byKey}"]`).waitFor({ state: "detached" });
    expect(await page.locator('form.filters input[name="key"]').inputValue()).toBe("jwt:acme:dup-ui");
    await callerOf(byJwt).waitFor();
    const shown = await page
      .locator("table.requests tbody [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(new Set(shown)).toEqual(new Set(["jwt:acme:dup-ui"]));
  }, 60_000);

  test("requests: the detail shows its caller as the list does, its id on a narrow screen too; choosing it there filters by that id", async () => {
    await signedIn();
    const subject = "jwt:acme:detail-ui";
    const requestIdOf = async (apiKey: string) =>
      (await chat(apiKey)).response.headers.get("x-request-id") ?? "";
    const other = await requestIdOf(adminKey);
    const byJwt = await requestIdOf(await jwtFor("detail-ui", "acme"));
    await auditRow(gw, other);
    await auditRow(gw, byJwt);
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator(`tr[data-request-id="${other}"]`).waitFor();
    await page.getByRole("button", { name: `Open request ${byJwt}` }).click();
    const caller = page.locator('section.detail dt:text-is("Key") + dd [data-caller-id]');
    await caller.waitFor();
    // The detail's own focus (an effect after its render) is waited for: the caller's name focused
    // before it would lose focus to the heading, and Enter below would choose nothing.
    await focusReaches(page.locator("#detail-title"), "focus on the detail's heading");
    const listed = page.locator(`tr[data-request-id="${byJwt}"] [data-caller-id]`);
    expect(await caller.getAttribute("data-caller-id")).toBe(subject);
    expect(await caller.getAttribute("title")).toBe(subject);
    expect(await caller.textContent()).toBe(`detail-ui JWT, tenant acme${subject}`);
    expect(await listed.textContent()).toBe(await caller.textContent());

    // At 390 px the list leaves a caller's id to its tooltip; the detail keeps it in sight.
    await page.setViewportSize(NARROW);
    try {
      await listed.locator(".caller-id").waitFor({ state: "hidden" });
      expect(await caller.locator(".caller-id").isVisible()).toBe(true);
    } finally {
      await page.setViewportSize(WIDE);
    }

    // Chosen in the detail, as in the list: that caller's requests alone, the detail closed, and
    // focus, which was on the name in it, on the list, not fallen to the top of the page.
    await caller.getByRole("button", { name: "detail-ui" }).focus();
    await page.keyboard.press("Enter");
    await page.locator(`tr[data-request-id="${other}"]`).waitFor({ state: "detached" });
    expect(await page.locator("section.detail").count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("requests");
    expect(await page.locator('form.filters input[name="key"]').inputValue()).toBe(subject);
    await page.locator(`tr[data-request-id="${byJwt}"]`).waitFor();
  }, 60_000);

  test("a right-to-left override in a name stays inside it: the request detail and the activity read in order", async () => {
    await signedIn();
    const name = "rtl\u202eevil";
    const key = await createKey(gw, { name, role: "user", models: ["*"] });
    const { response } = await chat(key.key);
    const requestId = response.headers.get("x-request-id") ?? "";
    // The list is read once when the page loads: the row must be stored by then.
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    await page.getByRole("button", { name: `Open request ${requestId}` }).click();
    const keyFact = page.locator('section.detail dt:text-is("Key") + dd');
    await keyFact.waitFor();
    // Reversed, the caller's kind ("key") would be drawn left of the name's last letters.
    expect(await leftOf(keyFact, "evil")).toBeLessThan(await leftOf(keyFact, "key"));

    await page.goto(`${gw.url}/admin/activity`);
    const created = page.locator('tr[data-action="key.create"]', { hasText: "evil" }).first();
    await created.waitFor();
    const detail = created.locator("td").last();
    expect(await leftOf(detail, "(user")).toBeLessThan(await leftOf(detail, "models"));
    // Where the change came from: the caller's address, in a column of its own.
    expect(await created.locator("td[data-client]").textContent()).toBe("127.0.0.1");
    await shoot("activity-rtl-1280");
  }, 60_000);

  test("requests: live rows past 500 push the first page's oldest out, and Load older reads on from them, none skipped", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "cap-ui", role: "user", models: ["*"] });
    for (let i = 0; i < 60; i++) await sendAs(key.key, `cap-seed-${i}`);
    await auditRow(gw, "cap-seed-59");
    await liveRowsOf(key.id);
    await page.locator('tr[data-request-id="cap-seed-59"]').waitFor();
    // The first page holds seeds 10…59; 460 live rows make 510, and the 10 oldest (seeds 10…19) go.
    for (let i = 0; i < 460; i++) await sendAs(key.key, `cap-live-${i}`);
    await page.locator('tr[data-request-id="cap-live-459"]').waitFor();
    expect(await page.locator("table.requests tbody tr").count()).toBe(500);
    await page.getByRole("button", { name: "Load older" }).click();
    await page.locator('tr[data-request-id="cap-seed-0"]').waitFor();
    const seeds = (await listedIds()).filter((id) => id.startsWith("cap-seed-"));
    expect(seeds).toEqual(Array.from({ length: 60 }, (_, i) => `cap-seed-${59 - i}`));
  }, 120_000);

  test("requests: a long request listed live is not listed again by Load older", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "long-ui", role: "user", models: ["*"] });
    const tag = `long-${Date.now()}`;
    const abort = new AbortController();
    const long = sendAs(key.key, tag, `[[fake:delay=60000]] ${tag}`, abort.signal).catch(() => "aborted");
    await waitFor("the long request at the upstream", async () =>
      (await ui.fake.requests()).some((request) => JSON.stringify(request).includes(tag)),
    );
    // Started before these, it is on the second page, not the first.
    for (let i = 0; i < 55; i++) await sendAs(key.key, `${tag}-quick-${i}`);
    await auditRow(gw, `${tag}-quick-54`);
    await liveRowsOf(key.id);
    await page.locator(`tr[data-request-id="${tag}-quick-54"]`).waitFor();
    abort.abort(); // it ends now (499), and live mode lists it on top
    expect(await long).toBe("aborted");
    await page.locator(`tr[data-request-id="${tag}"]`).waitFor();
    await auditRow(gw, tag); // stored (the audit writer's batch), so the older page has it too
    await page.getByRole("button", { name: "Load older" }).click();
    await page.locator(`tr[data-request-id="${tag}-quick-0"]`).waitFor();
    expect((await listedIds()).filter((id) => id === tag)).toEqual([tag]);
  }, 60_000);

  test("requests: Load older pressed from the keyboard keeps focus on it, or on the list once the last page is in", async () => {
    await signedIn();
    // Over two pages (50 each) of one key's requests, so one press leaves the button there.
    const key = await createKey(gw, { name: "paging-keys-ui", role: "user", models: ["*"] });
    for (let i = 0; i < 105; i++) await sendAs(key.key, `paging-keys-${i}`);
    await auditRow(gw, "paging-keys-104");
    await page.goto(`${gw.url}/admin/requests?key=${key.id}`);
    await page.locator('tr[data-request-id="paging-keys-104"]').waitFor();
    await loadOlderFromKeyboard("table.requests tbody tr", "table.requests");
    expect(await page.locator("table.requests tbody tr").count()).toBe(105);
  }, 120_000);

  test("requests: turning live mode on lists what finished since the page was read", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "switch-on-ui", role: "user", models: ["*"] });
    const tag = `switch-on-${Date.now()}`;
    await sendAs(key.key, `${tag}-seed`);
    await auditRow(gw, `${tag}-seed`);
    await page.goto(`${gw.url}/admin/requests`);
    await page.locator('form.filters input[name="key"]').fill(key.id);
    await page.getByRole("button", { name: "Apply" }).click();
    // The key's first page is in (its one row alone) before the next request is made.
    await waitFor("the key's first page", async () => (await listedIds()).join() === `${tag}-seed`);
    await sendAs(key.key, tag);
    await auditRow(gw, tag);
    await page.getByLabel("Live").check();
    await page.locator(".dot.on").waitFor();
    await page.locator(`tr[data-request-id="${tag}"]`).waitFor();
    expect(await listedIds()).toEqual([tag, `${tag}-seed`]);
    // Listed, but finished before live mode began: not said to have come since.
    expect(await page.getByRole("status").textContent()).toBe("");
  }, 60_000);

  test("requests: live mode across a gateway restart lists what finished while its stream was away", async () => {
    await signedIn();
    const key = await createKey(gw, { name: "restart-ui", role: "user", models: ["*"] });
    await liveRowsOf(key.id);
    const tag = `restart-${Date.now()}`;
    // The page's next event stream is held: a request finishes while the page has none.
    const stream = await holdRequests((url) => url.pathname === "/admin/api/events");
    await expectingRefusals(async () => {
      await ui.fx.restart({ port: gw.port });
      const reconnect = await stream.asked;
      await sendAs(key.key, tag);
      await auditRow(gw, tag);
      await reconnect.continue();
      await page.locator(".dot.on").waitFor();
      await page.locator(`tr[data-request-id="${tag}"]`).waitFor();
    }, /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|status of 503/);
    // Listed by the log read at the reconnect, never by an event: new since live mode began all
    // the same, and counted so (it was not before: only rows that came by event were).
    await page
      .getByRole("status")
      .getByText("1 new request since live mode or its filters began", { exact: true })
      .waitFor();
  }, 60_000);

  test("requests: a filter whose rows it cannot read is said so, neither as no requests nor with the rows before it", async () => {
    await signedIn();
    const { response } = await chat(adminKey);
    const requestId = response.headers.get("x-request-id") ?? "";
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    const row = page.locator(`tr[data-request-id="${requestId}"]`);
    await row.waitFor();
    const refused = "the audit log could not be read (a test's refusal)";
    await refuseReads((url) => url.pathname === "/admin/api/audit", refused);
    await expectingRefusals(async () => {
      await page.getByLabel("Model").fill("flaky-chat");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await row.count()).toBe(0);
    expect(await page.getByText("No requests match.").count()).toBe(0);
  }, 60_000);

  test("requests: a detail whose bodies are still being read says so, and bodies it cannot read say why, never that none are stored", async () => {
    await signedIn();
    const { response } = await chat(adminKey);
    const requestId = response.headers.get("x-request-id") ?? "";
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    const open = page.getByRole("button", { name: `Open request ${requestId}` });
    const detail = page.locator("section.detail");
    const notStored = detail.getByText("Bodies are not stored");
    const bodiesRead = (url: URL) =>
      url.pathname === "/admin/api/audit" && url.searchParams.get("bodies") === "true";
    await holdRequests(bodiesRead);
    await open.click();
    await detail.getByText("Reading the bodies…").waitFor();
    expect(await notStored.count()).toBe(0);
    // Escape is heard once the detail's effects have run (focus on its heading, then its listener).
    await focusReaches(detail.locator("#detail-title"), "focus on the detail's heading");
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "detached" });
    // Registered later, the refusal answers before the hold.
    const refused = "the bodies could not be read (a test's refusal)";
    await refuseReads(bodiesRead, refused);
    await expectingRefusals(async () => {
      await open.click();
      await detail.getByRole("alert").getByText(refused).waitFor();
    }, /status of 503/);
    expect(await notStored.count()).toBe(0);
    expect(await detail.getByText("Reading the bodies…").count()).toBe(0);
  }, 60_000);

  test("requests: the filters are in the address, kept on reload; Back and Forward move between them", async () => {
    await signedIn();
    const { response } = await chat(adminKey);
    const requestId = response.headers.get("x-request-id") ?? "";
    // Written by the audit log's batches after the answer: the page's first read must find it.
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    const row = page.locator(`tr[data-request-id="${requestId}"]`);
    await row.waitFor();
    await page.getByLabel("Model").fill("no-such-model-ui");
    await page.getByLabel("Status").selectOption("5xx");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No requests match.").waitFor();
    await page.reload();
    await page.getByText("No requests match.").waitFor();
    expect(await row.count()).toBe(0);
    expect(await page.getByLabel("Model").inputValue()).toBe("no-such-model-ui");
    expect(await page.getByLabel("Status").inputValue()).toBe("5xx");
    await page.goBack();
    await row.waitFor();
    expect(await page.getByLabel("Model").inputValue()).toBe("");
    await page.goForward();
    await row.waitFor({ state: "detached" });
    expect(await page.getByLabel("Model").inputValue()).toBe("no-such-model-ui");
  }, 60_000);

  test("requests: an address whose filters are written another way is tidied in place, so Back leaves the page", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/overview`);
    // The admin switch first and a space as %20: the page writes these filters as ?model=…&admin=1.
    await page.goto(`${gw.url}/admin/requests?admin=1&model=gpt%20untidy`);
    await page.getByText("No requests match.").waitFor();
    expect(await page.getByLabel("Model").inputValue()).toBe("gpt untidy");
    // The address is tidied by an effect after the page's first render, which may come after the
    // list's answer is drawn: waited for, not read at once (seen failing in clean-clone CI).
    await waitFor("the address tidied", () => new URL(page.url()).search === "?model=gpt+untidy&admin=1");
    await page.goBack();
    await page.waitForURL((url) => url.pathname === "/admin/overview", { timeout: 10_000 });
  }, 60_000);

  test("requests: a detail closed with Escape or Close puts focus back on its row's time, where it was opened", async () => {
    await signedIn();
    const { response } = await chat(adminKey);
    const requestId = response.headers.get("x-request-id") ?? "";
    await auditRow(gw, requestId);
    await page.goto(`${gw.url}/admin/requests`);
    const open = page.getByRole("button", { name: `Open request ${requestId}` });
    const detail = page.locator("section.detail");
    await open.focus();
    await page.keyboard.press("Enter");
    await detail.waitFor();
    // Escape is heard by a listener the detail adds in the effects that run after it is drawn,
    // the same run that moves focus to its heading: pressed before, it went unheard (a CI run).
    await focusReaches(detail.locator("#detail-title"), "focus on the detail's heading");
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "detached" });
    // Focus moves in the render that closes the detail: waited for, not read the moment it goes.
    await focusReaches(open, "focus back on the time");
    await page.keyboard.press("Enter");
    // Close focused before the detail's own focus (an effect after its render) would lose it to
    // the heading, and Enter would close nothing.
    await focusReaches(detail.locator("#detail-title"), "focus on the detail's heading again");
    await detail.getByRole("button", { name: "Close" }).focus();
    await page.keyboard.press("Enter");
    await detail.waitFor({ state: "detached" });
    await focusReaches(open, "focus back on the time");
  }, 60_000);

  ui.pageStayedOnLoopback();
});
