import type { Locator, Page } from "playwright-core";
import { waitForOrSay } from "./wait-for.ts";

/** Where keyboard focus is in `page`: the focused element's tag, id, class and text, for a failure to say. */
export const whereFocusIs = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return "nothing focused";
    const id = el.id ? `#${el.id}` : "";
    const kind =
      el.className && typeof el.className === "string" ? `.${el.className.split(" ").join(".")}` : "";
    return `${el.tagName.toLowerCase()}${id}${kind} ${el.textContent?.trim().slice(0, 80) ?? ""}`;
  });

/**
 * Waits until `target` has keyboard focus (it moves in an effect or render after the key press or
 * click, not at once); a failure says where focus is instead.
 */
export async function focusReaches(target: Locator, what: string, timeoutMs = 10_000): Promise<void> {
  await waitForOrSay(
    what,
    () => target.evaluate((el) => el === document.activeElement),
    () => whereFocusIs(target.page()),
    timeoutMs,
  );
}
