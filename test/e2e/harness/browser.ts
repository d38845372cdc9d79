import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium (installed by scripts/ci.sh); playwright-core never downloads a browser. */
export const CHROMIUM = process.env.MINDGW_CHROMIUM ?? "/usr/bin/chromium";

/** Something the page logged as an error, or threw. */
export interface BrowserProblem {
  kind: "console" | "pageerror";
  text: string;
  /** The resource the message is about (a failed load), when Chromium says. */
  url: string;
}

export interface TestBrowser {
  readonly context: BrowserContext;
  /** Every URL any page of this browser requested, in order (documents, scripts, fetches, …). */
  readonly requests: string[];
  readonly problems: BrowserProblem[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * One headless Chromium with a fresh profile, no background traffic of its own (no updates,
 * sync, or first-run calls), recording every request and every console error of its pages.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "mindgw-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
    viewport: { width: 1280, height: 900 },
  });
  const requests: string[] = [];
  const problems: BrowserProblem[] = [];
  context.on("request", (request) => requests.push(request.url()));
  context.on("console", (message) => {
    if (message.type() === "error")
      problems.push({ kind: "console", text: message.text(), url: message.location().url });
  });
  context.on("weberror", (error) =>
    problems.push({ kind: "pageerror", text: String(error.error()), url: "" }),
  );
  // The persistent profile opens with one blank page; tests make their own.
  for (const page of context.pages()) await page.close();
  return {
    context,
    requests,
    problems,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The requested URLs that went anywhere but this machine (data: and blob: stay in the page). */
export function offLoopback(urls: readonly string[]): string[] {
  return urls.filter((url) => {
    const parsed = new URL(url);
    if (parsed.protocol === "data:" || parsed.protocol === "blob:" || parsed.protocol === "about:")
      return false;
    return !LOOPBACK.has(parsed.hostname);
  });
}
