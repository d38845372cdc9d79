import { useLayoutEffect, useRef } from "preact/hooks";
import { focusBack } from "./focus-back.ts";

/**
 * For a button disabled while its call is on its way (`sending`): once `sending` is over, focus
 * left on the page itself goes back to the button (give it the returned ref), so a call that is
 * refused — the button still there, the refusal in an alert — keeps the user's place
 * (`focusBack`). A call that worked usually takes the button away (its form closes), and then
 * there is nothing to do. Run before the browser paints, as `useFocusFallback` does, so focus is
 * back as the enabled button is first drawn.
 */
export function useFocusBackWhenSent(sending: boolean) {
  const button = useRef<HTMLButtonElement>(null);
  const wasSending = useRef(false);
  useLayoutEffect(() => {
    const sent = wasSending.current && !sending;
    wasSending.current = sending;
    if (sent) focusBack(button.current);
  }, [sending]);
  return button;
}
