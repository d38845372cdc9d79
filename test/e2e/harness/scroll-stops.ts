import type { Page } from "playwright-core";
import { waitFor } from "./wait-for.ts";

/**
 * The named scroll boxes (`[role="region"]`) whose Tab stop does not match whether they scroll now.
 * The console sets a box's stop as its size is next observed (src/admin-ui/scroll-region.ts, a
 * `ResizeObserver`): a frame after a resize or a draw, not at once.
 */
export const mismatchedStops = (page: Page): Promise<(string | null)[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[role="region"]')]
      .filter((box) => {
        const scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
        return scrolls !== (box.getAttribute("tabindex") === "0");
      })
      .map((box) => box.getAttribute("aria-label")),
  );

/**
 * Waits until every box's Tab stop matches whether it scrolls, after a resize or a draw. One that
 * never does is left for the caller's assertion to name (or axe's scrollable-region-focusable):
 * this resolves either way, at `timeoutMs` at the latest.
 */
export const stopsSettled = (page: Page, timeoutMs = 10_000): Promise<void> =>
  waitFor(
    "each scroll box's Tab stop to match whether it scrolls",
    async () => {
      return (await mismatchedStops(page)).length === 0;
    },
    timeoutMs,
  ).then(
    () => {},
    () => {},
  );
