/**
 * What a box that scrolls its wide table sideways (`.scroll`; at 390 px most do) needs for it to be
 * scrolled without a mouse: a Tab stop, so the arrow keys move it (WCAG 2.1.1; axe's
 * scrollable-region-focusable), and, focus landing on it, a name for a screen reader to say.
 * The Tab stop is there whether or not the box overflows now (docs/ADMIN-UI.md, "Accessibility"):
 * a box's overflow changes with the window and its rows, and a stop too many costs one keypress,
 * one missing leaves a table that cannot be scrolled without a mouse.
 * Spread on the box: `<div {...scrollRegion("Keys table")} class="scroll">`.
 */
export const scrollRegion = (label: string) =>
  ({ tabIndex: 0, role: "region", "aria-label": label }) as const;
