import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults, ImpactValue, RunOptions } from "axe-core";
import type { Page } from "playwright-core";

// axe-core (the accessibility rules engine) run inside the page under test: its source read from
// node_modules and evaluated through the DevTools protocol, so no request leaves loopback and the
// console's Content-Security-Policy (script-src 'self') does not stand in its way.

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The WCAG 2.0 and 2.1 level A and AA rules: what WCAG 2.1 AA (Section 508, EN 301 549) asks. */
const WCAG_AA: RunOptions = {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  resultTypes: ["violations"],
};
/** The impacts that fail a test; moderate and minor ones are advice. */
const FAILING: ReadonlySet<ImpactValue> = new Set(["serious", "critical"]);

/** One failed rule, said so a failing test's diff reads as the fix to make. */
export interface AxeFinding {
  rule: string;
  impact: ImpactValue | null | undefined;
  help: string;
  /** Each offending element's selector, with axe's account of what is wrong with it. */
  nodes: string[];
}

/**
 * Audits the page as it is now against WCAG 2.x A and AA, `state` naming the page and state in
 * the findings; returns the serious and critical violations (the test expects none).
 */
export async function axeFindings(page: Page, state: string): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => "axe" in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (options) => (window as unknown as { axe: { run(o: RunOptions): Promise<AxeResults> } }).axe.run(options),
    WCAG_AA,
  );
  return results.violations
    .filter((violation) => violation.impact && FAILING.has(violation.impact))
    .map((violation) => ({
      rule: `${state}: ${violation.id}`,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => `${node.target.join(" ")} — ${node.failureSummary ?? ""}`),
    }));
}
