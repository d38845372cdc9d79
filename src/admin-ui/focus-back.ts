/**
 * Gives focus back to the control that made a call once the call is over. Chromium drops focus
 * from a focused button as it is disabled (as such a control is while its call is out), and a
 * control the call's answer takes away goes with focus on it: either way focus is left on the
 * page itself, and the next Tab would start again from the top (WCAG 2.4.3).
 *
 * Focus the user moved meanwhile stays where they put it. Where it is once the call is over does
 * not tell it all: a click on the page's blank space leaves focus on the page itself too, as the
 * drop does. So from the call's start, a pointer pressed anywhere but on a disabled control or
 * focus arriving anywhere is noted, and either leaves focus alone.
 */
export type FocusBack = {
  /** Once the call is over: to `control` if it is still there to use, else to `fallback`. */
  give(control: HTMLElement | null, fallback?: HTMLElement | null): void;
  /** The call forgotten (its component gone): nothing given back, nothing watched. */
  stop(): void;
};

/** Starts watching for the user's own moves of focus; call as the call goes out. */
export function focusBackLater(): FocusBack {
  let moved = false;
  const note = () => {
    moved = true;
  };
  // Chromium still delivers a press on a disabled control (the button pressed again while its call
  // is out, a double-click): it moves no focus, so it is no move of the user's.
  const notePress = (event: PointerEvent) => {
    if (!(event.target instanceof Element && event.target.closest(":disabled"))) moved = true;
  };
  // Captured: a handler that stops an event's propagation does not hide the user's move.
  document.addEventListener("pointerdown", notePress, true);
  document.addEventListener("focusin", note, true);
  const stop = () => {
    document.removeEventListener("pointerdown", notePress, true);
    document.removeEventListener("focusin", note, true);
  };
  return {
    give(control, fallback) {
      stop();
      const at = document.activeElement;
      if (moved || (at !== null && at !== document.body)) return;
      if (control?.isConnected && !control.matches(":disabled")) control.focus();
      else fallback?.focus();
    },
    stop,
  };
}
