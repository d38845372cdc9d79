import { useEffect, useRef } from "preact/hooks";

/**
 * For a button disabled while its call is on its way (`sending`): Chromium drops focus from a
 * focused button as it is disabled, leaving it on the page itself, so a call that is refused —
 * the button still there, the refusal in an alert — would send the next Tab back to the top of the
 * page (WCAG 2.4.3). Once `sending` is over, if focus is on the page itself, it goes back to the
 * button (give it the returned ref). Focus the user moved elsewhere meanwhile, or kept in a field
 * they pressed Enter in, stays; a call that worked usually takes the button away (its form
 * closes), and then there is nothing to do.
 */
export function useFocusBackWhenSent(sending: boolean) {
  const button = useRef<HTMLButtonElement>(null);
  const wasSending = useRef(false);
  useEffect(() => {
    const sent = wasSending.current && !sending;
    wasSending.current = sending;
    const at = document.activeElement;
    if (!sent || (at !== null && at !== document.body)) return;
    if (button.current?.isConnected && !button.current.disabled) button.current.focus();
  }, [sending]);
  return button;
}
