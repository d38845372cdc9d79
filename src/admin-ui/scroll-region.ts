/**
 * What a box that scrolls its wide table sideways (`.scroll`; at 390 px most do), or a body too
 * long for it, needs for it to be scrolled without a mouse: a Tab stop, so the arrow keys move it
 * (WCAG 2.1.1; axe's scrollable-region-focusable), and, focus landing on it, a name for a screen
 * reader to say. The Tab stop is there while the box scrolls, and only then (docs/ADMIN-UI.md,
 * "Accessibility"): a box that shows all it holds would be a stop that does nothing. Its overflow
 * changes with the window and its rows, so the box and what it holds are watched for size.
 * Spread on the box: `<div {...scrollRegion("Keys table")} class="scroll">`.
 */
export const scrollRegion = (label: string) =>
  ({ ref: watchOverflow, role: "region", "aria-label": label }) as const;

/** One observer for every box and the elements in it (a table grows with its rows), made on first use. */
let sizes: ResizeObserver | undefined;
/** The box each watched element is in (a box is its own). */
const boxOf = new WeakMap<Element, HTMLElement>();

/** A Tab stop while the box scrolls, none while it shows all it holds. */
function fitTabStop(box: HTMLElement) {
  const scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
  if (scrolls) box.tabIndex = 0;
  else box.removeAttribute("tabindex");
}

function onResize(entries: readonly ResizeObserverEntry[]) {
  for (const { target } of entries) {
    const box = boxOf.get(target);
    if (!box) continue;
    // What left the page (its size falls to nothing: a box, or a table drawn anew in one) is
    // watched no longer.
    if (!target.isConnected) sizes?.unobserve(target);
    if (box.isConnected) fitTabStop(box);
  }
}

/**
 * A control in the box reached from the keyboard (a key's Revoke, Tab after its Limits) is scrolled
 * wholly into the box: Chromium's focus scrolls a box sideways only until part of the control
 * shows (w3c/csswg-drafts#4778), which left Revoke half past the box's edge at 320 px.
 * `scrollIntoView` "nearest" moves the box no more than that takes. Focus from a pointer is left
 * be: the box scrolled as a button is pressed would move it from under the pointer, and its click
 * would be lost.
 */
function wholeInView(event: FocusEvent) {
  const control = event.target;
  if (!(control instanceof HTMLElement) || control === event.currentTarget) return;
  if (control.matches(":focus-visible")) control.scrollIntoView({ block: "nearest", inline: "nearest" });
}

/**
 * The box's ref: one function for every box, so Preact calls it when a box is drawn, not at each
 * render. The elements in the box when it is drawn are watched with it.
 */
function watchOverflow(box: HTMLElement | null) {
  if (!box) return;
  box.addEventListener("focusin", wholeInView);
  sizes ??= new ResizeObserver(onResize);
  for (const watched of [box, ...box.children]) {
    boxOf.set(watched, box);
    sizes.observe(watched);
  }
  // What the box holds may overflow it without any watched element changing size (a cell's text
  // filled in past a table held at the box's width, a key's spend read after its row): its
  // content's changes fit the stop too, once a batch of them.
  new MutationObserver(() => {
    if (box.isConnected) fitTabStop(box);
  }).observe(box, { childList: true, subtree: true, characterData: true });
}
