/**
 * Gives focus back to the control that made a call once the call is over. Chromium drops focus
 * from a focused button as it is disabled (as such a control is while its call is out), and a
 * control the call's answer takes away goes with focus on it: either way focus is left on the
 * page itself, and the next Tab would start again from the top (WCAG 2.4.3). It goes to `control`
 * if that is still there to use, else to `fallback`. Focus the user moved elsewhere meanwhile stays
 * where they put it.
 */
export function focusBack(control: HTMLElement | null, fallback?: HTMLElement | null): void {
  const at = document.activeElement;
  if (at !== null && at !== document.body) return;
  if (control?.isConnected && !control.matches(":disabled")) control.focus();
  else fallback?.focus();
}
