import { useLayoutEffect, useRef } from "preact/hooks";
import { type FocusBack, focusBackLater } from "./focus-back.ts";

/**
 * For a button disabled while its call is on its way (`sending`): once `sending` is over, focus
 * left on the page itself goes back to the button (give it the returned ref), so a call that is
 * refused — the button still there, the refusal in an alert — keeps the user's place; focus the
 * user moved meanwhile stays (`focusBackLater`). A call that worked usually takes the button away
 * (its form closes), and then there is nothing to do. Run before the browser paints, as
 * `useFocusFallback` does, so focus is back as the enabled button is first drawn.
 */
export function useFocusBackWhenSent(sending: boolean) {
  const button = useRef<HTMLButtonElement>(null);
  const pending = useRef<FocusBack | null>(null);
  useLayoutEffect(() => {
    if (sending) {
      pending.current ??= focusBackLater();
      return;
    }
    pending.current?.give(button.current);
    pending.current = null;
  }, [sending]);
  useLayoutEffect(() => () => pending.current?.stop(), []);
  return button;
}
