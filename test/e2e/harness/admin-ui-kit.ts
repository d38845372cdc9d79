import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import OpenAI from "openai";
import type { Locator, Page, Route } from "playwright-core";
import { type BrowserProblem, launchBrowser, offLoopback, type TestBrowser } from "./browser.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import { ADMIN_CLIENT, adminOidc, type OidcIssuer, startOidcIssuer } from "./oidc-issuer.ts";
import type { GatewayProcess } from "./spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream } from "./spawn-worker.ts";

// The web control plane, driven in Debian's Chromium against the compiled binary: the one gateway,
// fake upstream, OIDC issuer and browser page every test/e2e/admin-ui-*.test.ts file starts, each
// its own, and what their tests do with the page.

export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };
/** The narrowest screen the console is held to (WCAG 1.4.10 reflow: 320 CSS px, a phone zoomed). */
export const NARROWEST = { width: 320, height: 640 };
/** What the browser logs of an event stream cut under it (a proxy's cut, a page left as it reads). */
export const STREAM_CUT =
  /ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_CLOSED/;
export const SHOTS =
  process.env.MINDGW_UI_SCREENSHOTS ?? join(tmpdir(), `mindgw-ui-screenshots-${Date.now()}`);
// JWT callers (HS256), their tenant from the `tenant` claim.
export const JWT = {
  issuer: "https://idp.test",
  audience: "mindgw",
  secret: "a-test-secret-of-32-characters-at-least",
};

/** The admin UI's gateway, its browser page and the steps its tests share, for one test file. */
export type AdminUi = ReturnType<typeof adminUi>;

/** What a test file changes in the gateway it drives. */
export interface AdminUiOptions {
  /** The gateway's environment: a wall clock the test steps (skewed-clock.ts), say. */
  readonly env?: Record<string, string>;
  /** `admin_ui` settings besides single sign-on's (`session_idle_timeout`, say). */
  readonly adminUi?: Record<string, unknown>;
  /** `audit` settings besides `bodies: true` (a long `flush_ms` that keeps rows queued, say). */
  readonly audit?: Record<string, unknown>;
  /** `tenants:` entries (a configured tenant the Keys page reports on, say). */
  readonly tenants?: readonly Record<string, unknown>[];
}

/**
 * Starts, for the test file calling it, the fake upstream, the OIDC issuer, the gateway
 * (`gatewayFixture`) and a browser with one page, and ends with the file's last test: the page
 * talked to nothing but loopback and logged no errors.
 */
export function adminUi(options: AdminUiOptions = {}) {
  let gw: GatewayProcess;
  let adminKey: string;
  let issuer: OidcIssuer;
  let fake: FakeProcess;
  let browser: TestBrowser;
  let page: Page;

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
    audit: { bodies: true, ...options.audit },
    ...(options.tenants ? { tenants: options.tenants } : {}),
    auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { tenant: "tenant" } } },
    prices: {
      "mock-chat": { input_per_mtok: 2, output_per_mtok: 8 },
      // Rates beyond input and output, for the Models page to show; no configured model is priced by it.
      "claude-*": {
        input_per_mtok: 3,
        output_per_mtok: 15,
        cached_input_per_mtok: 0.3,
        cache_write_per_mtok: 3.75,
      },
    },
    admin_ui: {
      ...options.adminUi,
      ...(gatewayUrl && issuer
        ? {
            oidc: adminOidc(issuer, gatewayUrl),
          }
        : {}),
    },
  });

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

  /** Waits for the tab's title to read `title`: the page sets it after it renders, not with it. */
  const titleIs = (title: string) =>
    page.waitForFunction((expected) => document.title === expected, title, { timeout: 10_000 });

  /** Runs a step that provokes refusals, and checks the page logged nothing else. */
  async function expectingRefusals(run: () => Promise<void>, allowed: RegExp = /status of 40[134]/) {
    const mark = browser.problems.length;
    await run();
    const during = browser.problems.splice(mark);
    for (const problem of during) expect(`${problem.text} ${problem.url}`).toMatch(allowed);
  }

  /** Signs in with the keyboard alone: Tab to the key field, type, Enter. */
  async function signInWithKey(key: string) {
    // Off the page first: a page still open signed in polls on, and a poll sent once the cookie is
    // gone (before the sign-in page replaces it, a while on a loaded machine) is refused and logged.
    await page.goto("about:blank");
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
    const cookie = (await browser.context.cookies(`${gw.url}/admin/`)).find(
      (c) => c.name === "mindgw_session",
    );
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

  /**
   * Pages the list on screen through to its end from the keyboard (components/load-older.tsx,
   * shared by Requests, Shadow and Activity): Enter on a focused "Load older" until it goes with the
   * last page. After each page focus is back on the button; once it has gone, on the element the
   * page gives it to (useFocusFallback's `list`: `listSelector`), never the top of the page.
   * `rowSelector` counts the rows, so that each press is seen to add some.
   */
  async function loadOlderFromKeyboard(rowSelector: string, listSelector: string) {
    const older = page.getByRole("button", { name: "Load older" });
    await older.focus();
    for (;;) {
      const listed = await page.locator(rowSelector).count();
      await page.keyboard.press("Enter");
      await page.waitForFunction(
        ([selector, before]) => document.querySelectorAll(selector).length > before,
        [rowSelector, listed] as const,
        { timeout: 15_000 },
      );
      if ((await older.count()) === 0) break;
      await older.and(page.locator(":enabled")).waitFor();
      expect(await older.evaluate((el) => el === document.activeElement)).toBe(true);
    }
    expect(await page.evaluate((selector) => document.activeElement?.matches(selector), listSelector)).toBe(
      true,
    );
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

  /**
   * Answers the page's requests that match with a 503 saying `message`, as a gateway whose storage
   * failed would, until the test ends or the function it returns lifts the refusal (for a test
   * that goes on to read the page whole).
   */
  async function refuseReads(matching: (url: URL) => boolean, message: string): Promise<() => Promise<void>> {
    const refuse = (route: Route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { message, type: "server_error", code: "storage_unavailable" } }),
      });
    await page.route(matching, refuse);
    const lift = () => page.unroute(matching, refuse);
    fx.deferTest(lift);
    return lift;
  }

  const fx = gatewayFixture<FakeProcess>({
    fake: () => spawnFakeUpstream(),
    fakeRoutes: false,
    ...(options.env ? { env: options.env } : {}),
    config: async (_fakeUrl, ctx) => {
      fake = ctx.fake;
      mkdirSync(SHOTS, { recursive: true });
      issuer = ctx.own(await startOidcIssuer(ADMIN_CLIENT));
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

  return {
    fx,
    get gw() {
      return gw;
    },
    get adminKey() {
      return adminKey;
    },
    get issuer() {
      return issuer;
    },
    get fake() {
      return fake;
    },
    get browser() {
      return browser;
    },
    get page() {
      return page;
    },
    config,
    sdk,
    chat,
    statusOf,
    jwtFor,
    expectingRefusals,
    titleIs,
    signInWithKey,
    signedIn,
    sessionCookie,
    leftOf,
    loadOlderFromKeyboard,
    shoot,
    holdRequests,
    refuseReads,
    /** The file's last test: what every step before it left in the browser's record. */
    pageStayedOnLoopback() {
      test("the page talked to nothing but loopback and logged no errors", () => {
        expect(browser.requests.length).toBeGreaterThan(0);
        expect(offLoopback(browser.requests)).toEqual([]);
        const unexpected: BrowserProblem[] = browser.problems;
        expect(unexpected).toEqual([]);
      });
    },
  };
}
