import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import OpenAI from "openai";
import type { Request as BrowserRequest, Locator, Page, Route } from "playwright-core";
import packageJson from "../../package.json";
import { UI_PAGES } from "../../src/http/admin-ui/ui-pages.ts";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { type BrowserProblem, launchBrowser, offLoopback, type TestBrowser } from "./harness/browser.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type OidcIssuer, startOidcIssuer } from "./harness/oidc-issuer.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream, spawnWorker } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// The web control plane, driven in Debian's Chromium against the compiled binary.
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };
const CLIENT = { id: "mindgw-admin", secret: "issuer-test-secret" };
const SHOTS = process.env.MINDGW_UI_SCREENSHOTS ?? join(tmpdir(), `mindgw-ui-screenshots-${Date.now()}`);
// JWT callers (HS256), their tenant from the `tenant` claim.
const JWT = {
  issuer: "https://idp.test",
  audience: "mindgw",
  secret: "a-test-secret-of-32-characters-at-least",
};

const config = (gatewayUrl?: string, issuer?: OidcIssuer) => ({
  providers: [
    { name: "demo", type: "mock" },
    { name: "demo-shadow", type: "mock" },
    { name: "flaky", type: "openai", base_url: `${fake.url}/v1` },
  ],
  models: [
    {
      name: "mock-chat",
      routes: [{ provider: "demo", model: "mock" }],
      shadow: { provider: "demo-shadow", model: "mock-next", sample: 1 },
    },
    {
      // The fake upstream answers 500 when the prompt says so; the mock route then serves it.
      name: "flaky-chat",
      routes: [
        { provider: "flaky", model: "flaky-model" },
        { provider: "demo", model: "mock" },
      ],
    },
  ],
  audit: { bodies: true },
  auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { tenant: "tenant" } } },
  prices: { "mock-chat": { input_per_mtok: 2, output_per_mtok: 8 } },
  ...(gatewayUrl && issuer
    ? {
        admin_ui: {
          oidc: {
            issuer: issuer.url,
            client_id: CLIENT.id,
            client_secret: CLIENT.secret,
            redirect_url: `${gatewayUrl}/admin/auth/callback`,
            allowed_groups: ["platform"],
          },
        },
      }
    : {}),
});

let gw: GatewayProcess;
let adminKey: string;
let issuer: OidcIssuer;
let fake: FakeProcess;
let browser: TestBrowser;
let page: Page;

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
const chat = (apiKey: string, model = "mock-chat") =>
  sdk(apiKey)
    .chat.completions.create({ model, messages: [{ role: "user", content: "hello from the admin test" }] })
    .withResponse();
const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: unknown) => (error instanceof OpenAI.APIError ? (error.status ?? 0) : -1),
  );

/** A token for `subject` in `tenant`, as an identity provider would sign it. */
const jwtFor = (subject: string, tenant: string) =>
  new SignJWT({ tenant })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject)
    .setIssuer(JWT.issuer)
    .setAudience(JWT.audience)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(JWT.secret));

/** Runs a step that provokes refusals, and checks the page logged nothing else. */
async function expectingRefusals(run: () => Promise<void>, allowed: RegExp = /status of 40[134]/) {
  const mark = browser.problems.length;
  await run();
  const during = browser.problems.splice(mark);
  for (const problem of during) expect(`${problem.text} ${problem.url}`).toMatch(allowed);
}

/** Signs in with the keyboard alone: Tab to the key field, type, Enter. */
async function signInWithKey(key: string) {
  await browser.context.clearCookies();
  await page.goto(`${gw.url}/admin/`);
  await page.getByLabel("Admin key").waitFor();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("admin-key");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

/**
 * Signs in with the admin key unless the browser holds a session already: a test run alone (`-t`)
 * starts signed out, and one after the others keeps the session they left.
 */
async function signedIn() {
  const cookies = await browser.context.cookies(`${gw.url}/admin/`);
  if (!cookies.some((c) => c.name === "mindgw_session")) await signInWithKey(adminKey);
}

const sessionCookie = async () => {
  const cookie = (await browser.context.cookies(`${gw.url}/admin/`)).find((c) => c.name === "mindgw_session");
  if (!cookie) throw new Error("no session cookie");
  return cookie;
};

/** Where a piece of text is drawn: the left edge of its first occurrence inside `root`. */
function leftOf(root: Locator, text: string): Promise<number> {
  return root.evaluate((element, wanted) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      return range.getBoundingClientRect().left;
    }
    throw new Error(`"${wanted}" is not in the element`);
  }, text);
}

async function shoot(name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Holds the page's requests that match on their way, so the test acts while one is unanswered:
 * `asked` is the first one held; `givenUp` resolves when the page aborts it (a load it no longer
 * wants, whose answer can then never land). Held requests go on when the test ends.
 */
async function holdRequests(matching: (url: URL) => boolean) {
  const held: Route[] = [];
  let asked: (route: Route) => void = () => {};
  const first = new Promise<Route>((resolve) => {
    asked = resolve;
  });
  const hold = (route: Route) => {
    held.push(route);
    asked(route);
  };
  await page.route(matching, hold);
  fx.deferTest(async () => {
    await page.unroute(matching, hold);
    for (const route of held) await route.continue().catch(() => {});
  });
  const givenUp = page.waitForEvent("requestfailed", {
    predicate: (request) => matching(new URL(request.url())),
    timeout: 15_000,
  });
  // Awaited only once the page has been made to give it up: not yet a rejection of its own.
  givenUp.catch(() => {});
  return { asked: first, givenUp };
}

const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, ctx) => {
    fake = ctx.fake;
    mkdirSync(SHOTS, { recursive: true });
    issuer = ctx.own(await startOidcIssuer(CLIENT));
    return config();
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  browser = await launchBrowser();
  fx.defer(() => browser.close());
  page = await browser.newPage(WIDE);
}, 60_000);

afterAll(() => {
  console.log(`admin UI screenshots: ${SHOTS}`);
});

describe("/admin in a real browser", () => {
  test("sign in with an admin key: a session cookie, and the key kept nowhere in the browser", async () => {
    await page.goto(`${gw.url}/admin/`);
    await page.getByRole("heading", { name: "mindgw admin" }).waitFor();
    await shoot("sign-in-1280");
    await page.setViewportSize(NARROW);
    await shoot("sign-in-390");
    await page.setViewportSize(WIDE);
    await signInWithKey(adminKey);

    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin", secure: false });
    const kept = await page.evaluate(() =>
      JSON.stringify([
        { ...localStorage },
        { ...sessionStorage },
        document.cookie,
        document.documentElement.outerHTML,
      ]),
    );
    expect(kept).not.toContain(adminKey);
    expect(kept).not.toContain(cookie.value);
    const shell = await fetch(`${gw.url}/admin/`);
    expect(shell.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await shell.text()).not.toMatch(/<script>|<style|style=/);
  }, 60_000);

  test("keys: create (shown once), use it, rotate with grace, revoke; every change on record", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/keys`);
    await page.getByRole("button", { name: "New key" }).click();
    await page.getByLabel("Name").fill("alice-ui");
    await page.getByLabel("Budget (USD)").fill("5");
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = page.locator("[data-new-key]");
    await waitFor("the new key to be shown", async () => (await shown.inputValue()).startsWith("mgw_"));
    const first = await shown.inputValue();
    expect((await chat(first)).response.status).toBe(200);

    const firstId = (await (
      await fetch(`${gw.url}/admin/api/keys/alice-ui`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { id: string };
    await page.getByRole("button", { name: "Done" }).click();
    const row = page.locator(`tr[data-key-id="${firstId.id}"]`);
    // The summary of the tenants the keys name, with alice-ui's spend read since its call.
    const summary = page.locator('tr[data-summary-tenant="default"]');
    const totals = async () => ({
      spent: Number(await summary.getAttribute("data-spent")),
      budget: Number(await summary.getAttribute("data-budget")),
    });
    await waitFor("alice-ui's spend on the page", async () => {
      await page.reload();
      return Number(await row.getAttribute("data-spent")) > 0;
    });
    const beforeRotation = await totals();
    await row.getByRole("button", { name: "Rotate" }).click();
    await row.getByLabel("Grace").fill("1h");
    await row.getByRole("button", { name: "Rotate now" }).click();
    await waitFor("the rotated key to be shown", async () => {
      const value = await shown.inputValue().catch(() => "");
      return value.startsWith("mgw_") && value !== first;
    });
    const second = await shown.inputValue();
    // Both keys listed, each reporting the spend the new one took over (once the carried spend
    // is written, within a flush): the summary counts the chain once.
    const alice = page.locator('tr[data-key-name="alice-ui"]');
    await waitFor("both alice-ui keys listed with the spend they share", async () => {
      await page.reload();
      await row.waitFor();
      const spends = await alice.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-spent"))));
      return spends.length === 2 && (spends[0] ?? 0) > 0 && spends[0] === spends[1];
    });
    const afterRotation = await totals();
    expect(afterRotation.budget).toBe(beforeRotation.budget);
    expect(afterRotation.spent).toBeCloseTo(beforeRotation.spent, 12);
    expect(await statusOf(chat(second))).toBe(200);
    expect(await statusOf(chat(first))).toBe(200); // still inside its grace period

    const listed = (await (
      await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { keys: { id: string; name: string }[] };
    const secondId = listed.keys.find((k) => k.name === "alice-ui" && k.id !== firstId.id) ?? { id: "" };
    expect(secondId.id).not.toBe(firstId.id);
    // Revoke on the new key offers the name's every active key, as `mindgw keys revoke alice-ui`:
    // the old one in its grace window would otherwise keep the name working.
    const secondRow = page.locator(`tr[data-key-id="${secondId.id}"]`);
    await secondRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await secondRow.getByText("2 active keys are named").waitFor();
    await shoot("keys-revoke-choice-1280");
    await secondRow.getByRole("button", { name: "Revoke all 2 keys named “alice-ui”" }).click();
    await secondRow.waitFor({ state: "detached" });
    await row.waitFor({ state: "detached" });
    expect([await statusOf(chat(second)), await statusOf(chat(first))]).toEqual([401, 401]);
    await shoot("keys-1280");

    await page.goto(`${gw.url}/admin/activity`);
    for (const action of ["session.sign_in", "key.create", "key.rotate", "key.revoke"])
      await page.locator(`tr[data-action="${action}"]`).first().waitFor();
    const actions = (await (
      await fetch(`${gw.url}/admin/api/actions`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      actions: { action: string; actor: string; via: string; target: string }[];
    };
    expect(actions.actions.filter((a) => a.action === "key.revoke")).toEqual([
      expect.objectContaining({ actor: "bootstrap-admin", via: "session", target: firstId.id }),
      expect.objectContaining({ actor: "bootstrap-admin", via: "session", target: secondId.id }),
    ]);
  }, 60_000);

  test("keys: Revoke only this key, of a name other active keys share, leaves them working; a key alone under its name asks a plain confirm", async () => {
    await signedIn();
    const made = await createKey({ url: gw.url, adminKey }, { name: "hank-ui", role: "user" });
    const rotate = async () => {
      const res = await fetch(`${gw.url}/admin/api/keys/hank-ui/rotate`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ grace: "1h" }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; key: string };
    };
    const rotated = await rotate();
    await page.goto(`${gw.url}/admin/keys`);
    const newRow = page.locator(`tr[data-key-id="${rotated.id}"]`);
    await newRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await newRow.getByRole("button", { name: "Revoke only this key" }).click();
    await newRow.waitFor({ state: "detached" });
    expect([await statusOf(chat(rotated.key)), await statusOf(chat(made.key))]).toEqual([401, 200]);
    // The old key is now alone under its name: the plain question, and that key alone.
    const messages: string[] = [];
    page.once("dialog", (dialog) => {
      messages.push(dialog.message());
      void dialog.accept();
    });
    const oldRow = page.locator(`tr[data-key-id="${made.id}"]`);
    await oldRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await oldRow.waitFor({ state: "detached" });
    expect(messages).toEqual(['Revoke key "\u2068hank-ui\u2069"? Callers using it are refused at once.']);
    expect(await statusOf(chat(made.key))).toBe(401);
  }, 60_000);

  test("keys: Revoke counts every active key of the name the gateway holds, not only those on the page", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const oldest = await createKey(target, { name: "spread-ui", role: "user" });
    // Newer keys push it off the first page (50 keys, newest first).
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `spread-filler-${i + j}` })),
      );
    const rotate = async () => {
      const res = await fetch(`${gw.url}/admin/api/keys/spread-ui/rotate`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ grace: "1h" }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; key: string };
    };
    const middle = await rotate();
    // Plain confirms would be dismissed (and said here): the name's other key is off the page.
    const confirms: string[] = [];
    const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
      confirms.push(dialog.message());
      void dialog.dismiss();
    };
    page.on("dialog", onDialog);
    fx.deferTest(() => page.off("dialog", onDialog));
    await page.goto(`${gw.url}/admin/keys`);
    await page.locator("[data-keys-shown='50']").waitFor();
    expect(await page.locator(`tr[data-key-id="${oldest.id}"]`).count()).toBe(0);
    const middleRow = page.locator(`tr[data-key-id="${middle.id}"]`);
    await middleRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await middleRow.getByText("2 active keys are named").waitFor();
    await middleRow.getByRole("button", { name: "Cancel" }).click();

    const newest = await rotate();
    await page.reload();
    const newestRow = page.locator(`tr[data-key-id="${newest.id}"]`);
    await newestRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await newestRow.getByRole("button", { name: "Revoke all 3 keys named “spread-ui”" }).click();
    await newestRow.waitFor({ state: "detached" });
    expect(confirms).toEqual([]);
    expect([
      await statusOf(chat(newest.key)),
      await statusOf(chat(middle.key)),
      await statusOf(chat(oldest.key)),
    ]).toEqual([401, 401, 401]);
  }, 60_000);

  test("keys: for an admin outside every tenant, Revoke counts and ends the name's keys in the key's own tenant; another tenant's key of the name keeps working", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const theirs = await createKey(target, { name: "tenants-ui", tenant: "globex", role: "user" });
    const old = await createKey(target, { name: "tenants-ui", tenant: "acme", role: "user" });
    const res = await fetch(`${gw.url}/admin/api/keys/${old.id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ grace: "1h" }),
    });
    expect(res.status).toBe(201);
    const fresh = (await res.json()) as { id: string; key: string };
    await page.goto(`${gw.url}/admin/keys`);
    const row = page.locator(`tr[data-key-id="${fresh.id}"]`);
    await row.getByRole("button", { name: "Revoke", exact: true }).click();
    // Two in acme: the globex key of the name is another credential, neither counted nor revoked.
    await row.getByRole("button", { name: "Revoke all 2 keys named “tenants-ui”" }).click();
    await row.waitFor({ state: "detached" });
    expect(await page.getByRole("alert").count()).toBe(0);
    expect([
      await statusOf(chat(fresh.key)),
      await statusOf(chat(old.key)),
      await statusOf(chat(theirs.key)),
    ]).toEqual([401, 401, 200]);
  }, 60_000);

  test("keys: a thousand keys are listed 50 a page with Load more, spend read per page; the charts ignore their creation", async () => {
    await signedIn();
    const asAdmin = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
    for (let i = 0; i < 1000; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          fetch(`${gw.url}/admin/api/keys`, {
            method: "POST",
            headers: asAdmin,
            body: JSON.stringify({ name: `bulk-${i + j}` }),
          }).then((response) => expect(response.status).toBe(201)),
        ),
      );
    const spendUrls: string[] = [];
    const onRequest = (request: BrowserRequest) => {
      if (request.url().includes("/admin/api/spend")) spendUrls.push(request.url());
    };
    page.on("request", onRequest);
    fx.deferTest(() => page.off("request", onRequest));
    await page.goto(`${gw.url}/admin/keys`);
    const rows = page.locator("table.keys tbody tr");
    await page.locator("[data-keys-shown='50']").waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.locator("[data-keys-shown='100']").waitFor();
    expect(await page.locator("p.error").count()).toBe(0);
    expect(await rows.first().textContent()).toContain("bulk-"); // newest first
    expect(spendUrls).toHaveLength(2);
    for (const url of spendUrls) expect(new URL(url).searchParams.get("ids")?.split(",")).toHaveLength(50);
    await shoot("keys-many-1280");

    // A thousand admin calls are no traffic: the charts count the model requests alone.
    const stats = (await (
      await fetch(`${gw.url}/admin/api/stats?window=15m`, { headers: asAdmin })
    ).json()) as { requests: number[] };
    expect(stats.requests.reduce((a, b) => a + b, 0)).toBeLessThan(100);
  }, 120_000);

  test("the key form: limits it cannot read are refused in the form; a refusal keeps what was typed", async () => {
    await signedIn();
    /** The key of that name, as the API lists it (undefined: none was created). */
    const named = async (name: string) =>
      (
        (await (
          await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
        ).json()) as {
          keys: { name: string; rpm: number | null; tpm: number | null; budget_usd: number | null }[];
        }
      ).keys.find((k) => k.name === name);
    await page.goto(`${gw.url}/admin/keys`);
    await page.getByRole("button", { name: "New key" }).click();
    const form = page.getByRole("form", { name: "New key" });
    await form.getByLabel("Name").fill("limits-ui");
    await form.getByLabel("Requests/min").fill("60/min");
    await form.getByLabel("Tokens/min").fill("10k");
    await form.getByLabel("Budget (USD)").fill("$5");
    const refusal = form.getByRole("alert");
    for (const [field, fixed, said] of [
      ["Requests/min", "60", 'Requests/min: "60/min" is not a whole number'],
      ["Tokens/min", "10000", 'Tokens/min: "10k" is not a whole number'],
      ["Budget (USD)", "5", 'Budget (USD): "$5" is not a dollar amount'],
    ] as const) {
      await form.getByRole("button", { name: "Create key" }).click();
      await refusal.getByText(said).waitFor();
      expect(await named("limits-ui")).toBeUndefined();
      await form.getByLabel(field).fill(fixed);
    }
    await form.getByRole("button", { name: "Create key" }).click();
    await page.locator("[data-new-key]").waitFor();
    expect(await named("limits-ui")).toMatchObject({
      rpm: 60,
      tpm: 10000,
      budget_usd: 5,
    });
    await page.getByRole("button", { name: "Done" }).click();

    // Refused by the gateway (an expiry it cannot read): said, and the form still holds it all.
    await page.getByRole("button", { name: "New key" }).click();
    await form.getByLabel("Name").fill("expiry-ui");
    await form.getByLabel("Requests/min").fill("30");
    await form.getByLabel("Expires in").fill("tomorrow");
    await expectingRefusals(async () => {
      await form.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("alert").getByText("expires_in").waitFor();
    }, /status of 400/);
    expect(await form.getByLabel("Name").inputValue()).toBe("expiry-ui");
    expect(await form.getByLabel("Requests/min").inputValue()).toBe("30");
    expect(await form.getByLabel("Expires in").inputValue()).toBe("tomorrow");
    await form.getByLabel("Expires in").fill("1d");
    await form.getByRole("button", { name: "Create key" }).click();
    await page.locator("[data-new-key]").waitFor();
    expect(await form.count()).toBe(0); // created: the form is cleared and closed
    expect(await named("expiry-ui")).toMatchObject({ rpm: 30 });
    await page.getByRole("button", { name: "Done" }).click();
  }, 60_000);

  test("keys: change a key's limits from its row; the key is held to them at once, and the change is on record", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    const limited = await createKey(target, { name: "limits-change-ui", rpm: 1 });
    expect(await statusOf(chat(limited.key))).toBe(200);
    expect(await statusOf(chat(limited.key))).toBe(429);
    const shownKey = async () =>
      (await (
        await fetch(`${gw.url}/admin/api/keys/${limited.id}`, {
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).json()) as { rpm: number | null; budget_usd: number | null; models: string[] };

    await page.goto(`${gw.url}/admin/keys`);
    await page.locator(`tr[data-key-id="${limited.id}"]`).getByRole("button", { name: "Limits" }).click();
    const form = page.getByRole("form", { name: "Change limits" });
    expect(await form.getByLabel("Requests/min").inputValue()).toBe("1");
    // A limit it cannot read is refused in the form, nothing sent.
    await form.getByLabel("Budget (USD)").fill("$5");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.getByRole("alert").getByText('Budget (USD): "$5" is not a dollar amount').waitFor();
    expect(await shownKey()).toMatchObject({ rpm: 1, budget_usd: null });
    // Emptied: the rpm is lifted; the budget set.
    await form.getByLabel("Requests/min").fill("");
    await form.getByLabel("Budget (USD)").fill("5");
    await form.getByRole("button", { name: "Save limits" }).click();
    await form.waitFor({ state: "detached" });
    expect(await shownKey()).toMatchObject({ rpm: null, budget_usd: 5, models: ["*"] });
    expect(await statusOf(chat(limited.key))).toBe(200);
    await page.goto(`${gw.url}/admin/activity`);
    await page.locator('tr[data-action="key.limits"]').first().waitFor();
  }, 60_000);

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

    // Chosen in the detail, as in the list: that caller's requests alone, the detail closed.
    await caller.getByRole("button", { name: "detail-ui" }).click();
    await page.locator(`tr[data-request-id="${other}"]`).waitFor({ state: "detached" });
    expect(await page.locator("section.detail").count()).toBe(0);
    expect(await page.locator('form.filters input[name="key"]').inputValue()).toBe(subject);
    await page.locator(`tr[data-request-id="${byJwt}"]`).waitFor();
  }, 60_000);

  test("activity: who made each change, readably, its id beside; choosing one shows only that caller's changes, by id", async () => {
    await signedIn();
    // Two admin keys of one name: told apart by their ids.
    const first = await createKey(gw, { name: "twin-ops", role: "admin", models: ["*"] });
    const second = await createKey(gw, { name: "twin-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: first.key }, { name: "made-by-first" });
    await createKey({ url: gw.url, adminKey: second.key }, { name: "made-by-second" });
    await page.goto(`${gw.url}/admin/activity`);
    const made = (name: string) => page.locator('tr[data-action="key.create"]', { hasText: name });
    const firstWho = made("made-by-first").locator("[data-caller-id]");
    await firstWho.waitFor();
    expect(await firstWho.getAttribute("data-caller-id")).toBe(first.id);
    expect(await firstWho.textContent()).toBe(`twin-ops key${first.id}`);
    expect(await made("made-by-second").locator("[data-caller-id]").getAttribute("data-caller-id")).toBe(
      second.id,
    );
    await firstWho.getByRole("button", { name: "twin-ops" }).click();
    await made("made-by-second").waitFor({ state: "detached" });
    await made("made-by-first").waitFor();
    const actors = await page
      .locator("table.actions-table tbody [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(new Set(actors)).toEqual(new Set([first.id]));
    await shoot("activity-one-caller-1280");
    await page.getByRole("button", { name: "Show every caller" }).click();
    await made("made-by-second").waitFor();
  }, 60_000);

  test("activity: older changes still on their way when a caller is chosen are dropped, never added under that caller's", async () => {
    await signedIn();
    const target = { url: gw.url, adminKey };
    // More than a page of changes (50), the newest by a caller of its own.
    for (let i = 0; i < 55; i += 11)
      await Promise.all(
        Array.from({ length: 11 }, (_, j) => createKey(target, { name: `older-change-${i + j}` })),
      );
    const late = await createKey(target, { name: "late-ops", role: "admin", models: ["*"] });
    await createKey({ url: gw.url, adminKey: late.key }, { name: "made-by-late-ops" });
    const older = await holdRequests(
      (url) => url.pathname === "/admin/api/actions" && url.searchParams.has("before"),
    );
    await page.goto(`${gw.url}/admin/activity`);
    const another = page.locator('tr[data-action="key.create"]', { hasText: "older-change-54" });
    await another.waitFor();
    await page.getByRole("button", { name: "Load older" }).click();
    await older.asked;
    const made = page.locator('tr[data-action="key.create"]', { hasText: "made-by-late-ops" });
    await made.getByRole("button", { name: "late-ops" }).click();
    await another.waitFor({ state: "detached" });
    // The older page was given up as the caller was chosen: its answer can never be added.
    await older.givenUp;
    const actors = await page
      .locator("table.actions-table tbody [data-caller-id]")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-caller-id")));
    expect(actors).toEqual([late.id]);
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
    expect(await left.textContent()).toMatch(/^gpu-box-1 left at .+, its drain over$/);
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
    expect(await lost.textContent()).toMatch(/^gpu-box-2 lost at .+ — .+ \(0 in flight\)$/);
    expect(await left.getAttribute("data-gone")).toBe("left");
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
      await watcher.context.clock.pauseAt(Date.now() + 100);
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

  test("overview: an admin key in a tenant gets a note in place of the gateway-wide charts, and the rest of the page, asking for nothing it is refused", async () => {
    const tenantAdmin = await createKey(gw, {
      name: "team-ops",
      tenant: "team-a",
      role: "admin",
      models: ["*"],
    });
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
      expect(await page.locator('main [role="alert"]').count()).toBe(0);
      expect(await page.locator(".charts").count()).toBe(0);
      expect(await page.locator(".tile-label", { hasText: /^Requests$/ }).count()).toBe(0);
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
      expect(browser.problems.slice(problems)).toEqual([]);
    } finally {
      await signInWithKey(adminKey);
    }
  }, 60_000);

  test("every page at 1280 and 390 px, light and dark", async () => {
    await signedIn();
    for (let i = 0; i < 12; i++) await statusOf(chat(adminKey, i % 4 === 3 ? "no-such-model" : "mock-chat"));
    for (const viewport of [WIDE, NARROW]) {
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
        expect({ page: name, width: viewport.width, overflow: Math.max(0, overflow) }).toEqual({
          page: name,
          width: viewport.width,
          overflow: 0,
        });
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
      const res = await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const body = (await res.json()) as ShadowPage;
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

  test("keyboard: tab from the top reaches the page links and moves between pages", async () => {
    await signedIn();
    await page.goto(`${gw.url}/admin/overview`);
    await page.locator("main h1").waitFor();
    await page.keyboard.press("Tab"); // skip link
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Requests");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Requests" }).waitFor();
  }, 30_000);

  test("refused: a non-admin key, a forged cookie, a missing or wrong CSRF token", async () => {
    const user = await createKey(gw, { name: "bob", role: "user", models: ["*"] });
    await expectingRefusals(async () => {
      await browser.context.clearCookies();
      await page.goto(`${gw.url}/admin/`);
      await page.getByLabel("Admin key").fill(user.key);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("alert").getByText("lacks the required role").waitFor();
    });
    expect((await browser.context.cookies(`${gw.url}/admin/`)).some((c) => c.name === "mindgw_session")).toBe(
      false,
    );

    await expectingRefusals(async () => {
      await browser.context.addCookies([
        { name: "mindgw_session", value: "forged-session-id", url: `${gw.url}/admin` },
      ]);
      await page.goto(`${gw.url}/admin/keys`);
      await page.getByLabel("Admin key").waitFor();
    });
    const forged = await fetch(`${gw.url}/admin/api/keys`, {
      headers: { cookie: "mindgw_session=forged-session-id", "x-csrf-token": "anything" },
    });
    expect(forged.status).toBe(401);

    await signInWithKey(adminKey);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const session = (await (await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })).json()) as {
      csrf: string;
    };
    const create = (headers: Record<string, string>) =>
      fetch(`${gw.url}/admin/api/keys`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "csrf-probe", role: "admin" }),
      });
    expect((await create({})).status).toBe(403);
    expect((await create({ "x-csrf-token": `${session.csrf}x` })).status).toBe(403);
    expect((await fetch(`${gw.url}/admin/api/audit`, { headers: { cookie } })).status).toBe(403);
    const keys = (await (
      await fetch(`${gw.url}/admin/api/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      keys: { name: string }[];
    };
    expect(keys.keys.some((k) => k.name === "csrf-probe")).toBe(false);
    expect((await create({ "x-csrf-token": session.csrf })).status).toBe(201);
    // A session is for /admin only: it is no model credential.
    const asModel = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": session.csrf, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-chat", messages: [{ role: "user", content: "x" }] }),
    });
    expect(asModel.status).toBe(403);
  }, 60_000);

  test("sessions end on sign-out and when their key is revoked", async () => {
    const second = await createKey(gw, { name: "second-admin", role: "admin", models: ["*"] });
    await signInWithKey(second.key);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const { csrf } = (await (
      await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })
    ).json()) as { csrf: string };
    // The open Overview keeps polling: once the session has ended, a poll in flight is refused
    // (401), which the browser logs. Those refusals are the point here; nothing else may be logged.
    await expectingRefusals(async () => {
      const revoke = await fetch(`${gw.url}/admin/api/keys/${second.id}/revoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(revoke.status).toBe(200);
      expect(
        (await fetch(`${gw.url}/admin/api/status`, { headers: { cookie, "x-csrf-token": csrf } })).status,
      ).toBe(401);
      await page.goto(`${gw.url}/admin/overview`);
      await page.getByLabel("Admin key").waitFor();
    }, /status of 401/);

    await signInWithKey(adminKey);
    const mine = `mindgw_session=${(await sessionCookie()).value}`;
    await expectingRefusals(async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByLabel("Admin key").waitFor();
    }, /status of 401/);
    const after = (await (
      await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie: mine } })
    ).json()) as { signedIn: boolean };
    expect(after.signedIn).toBe(false);
  }, 60_000);

  test("a sign-out that fails says so and stays signed in: the session is still open", async () => {
    await signInWithKey(adminKey);
    const cookie = `mindgw_session=${(await sessionCookie()).value}`;
    const port = gw.port;
    // The gateway gone, the page's polls fail too (the browser logs each); then it is back.
    await expectingRefusals(async () => {
      await gw.stop("SIGKILL");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("alert").getByText("Sign-out failed; the session is still open").waitFor();
      expect(await page.getByLabel("Admin key").count()).toBe(0);
      gw = await fx.restart({ port });
      const session = (await (
        await fetch(`${gw.url}/admin/auth/session`, { headers: { cookie } })
      ).json()) as {
        signedIn: boolean;
      };
      expect(session.signedIn).toBe(true);
      await page.getByRole("heading", { name: "Overview" }).waitFor();
    }, /net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)|Failed to fetch/);
    await expectingRefusals(async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByLabel("Admin key").waitFor();
    }, /status of 401/);
  }, 90_000);

  test("single sign-on through an OIDC issuer: allowed group in, others out", async () => {
    await gw.writeConfig(config(gw.url, issuer));
    await waitFor("the OIDC config to be live", async () => {
      const info = (await (await fetch(`${gw.url}/admin/auth/session`)).json()) as { oidc: boolean };
      return info.oidc;
    });
    await browser.context.clearCookies();
    await page.goto(`${gw.url}/admin/`);
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(await page.locator(".user").textContent()).toBe("ops@example.com");
    expect(issuer.refusals).toEqual([]);
    // On Activity, the sign-in's user as such, with the id its changes are recorded by.
    await page.goto(`${gw.url}/admin/activity`);
    const signedIn = page
      .locator('tr[data-action="session.sign_in"]')
      .first()
      .locator('[data-caller-id="session:default:ops@example.com"]');
    await signedIn.waitFor();
    expect(await signedIn.textContent()).toBe(
      "ops@example.com single sign-onsession:default:ops@example.com",
    );
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    // As above: a poll in flight when the session ends is refused, and the browser logs it.
    await expectingRefusals(async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      issuer.user = { sub: "u-2", email: "intruder@example.com", groups: ["sales"] };
      await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
      await page.getByRole("alert").getByText("refused this account").waitFor();
    });
    expect((await browser.context.cookies(`${gw.url}/admin/`)).some((c) => c.name === "mindgw_session")).toBe(
      false,
    );

    const actions = (await (
      await fetch(`${gw.url}/admin/api/actions`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      actions: { action: string; actor: string }[];
    };
    expect(actions.actions.some((a) => a.action === "session.sign_in" && a.actor === "ops@example.com")).toBe(
      true,
    );
    expect(actions.actions.some((a) => a.actor === "intruder@example.com")).toBe(false);
  }, 60_000);

  test("the sign-in page says only its own words for ?error=, never a link's text", async () => {
    await browser.context.clearCookies();
    const forged = "Your session expired. Call +1-555-0100 and read out your admin key";
    await page.goto(`${gw.url}/admin/?error=${encodeURIComponent(forged)}`);
    await page.getByLabel("Admin key").waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.content()).not.toContain("555-0100");
    await page.goto(`${gw.url}/admin/?error=sso_expired`);
    await page
      .getByRole("alert")
      .getByText("The sign-in expired or did not start here; try again.")
      .waitFor();
    // The gateway sends codes, not text: a callback that did not start here says so by its code.
    const callback = await fetch(`${gw.url}/admin/auth/callback?state=x&code=y`, { redirect: "manual" });
    expect(callback.headers.get("location")).toBe("/admin/?error=sso_expired");
  }, 60_000);

  test("the page talked to nothing but loopback and logged no errors", () => {
    expect(browser.requests.length).toBeGreaterThan(20);
    expect(offLoopback(browser.requests)).toEqual([]);
    const unexpected: BrowserProblem[] = browser.problems;
    expect(unexpected).toEqual([]);
  });
});
