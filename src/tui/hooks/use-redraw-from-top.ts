import { useStdout } from "ink";
import { useLayoutEffect } from "react";

/** Cursor to the top-left corner, then erase to the end of the screen. */
const HOME_AND_ERASE_DOWN = "\u001b[1;1H\u001b[J";

/**
 * ink draws each frame relative to where it left the cursor. A terminal changes size before
 * the program hears of it (tmux holds SIGWINCH up to 250 ms after the previous one), and a
 * frame laid out for the old width that lands in between wraps on the narrower screen: the
 * cursor ends rows lower than ink counts, and ink's own erase on resize then leaves the top
 * of the wider frame on screen (the title line twice). The tail owns the whole alternate
 * screen, so every resize starts over from its corner instead: `forgetFrame` (ink's
 * `clear()`) makes the next frame a whole one, the screen is wiped, and ink's resize
 * handler, which runs after this one, draws that frame from the top.
 *
 * A layout effect, so the listener is gone as the tree unmounts, before ink leaves the
 * alternate screen: a late resize must not wipe the shell's screen.
 */
export function useRedrawFromTopOnResize(forgetFrame: (() => void) | undefined): void {
  const { stdout } = useStdout();
  useLayoutEffect(() => {
    if (forgetFrame === undefined) return;
    const startOver = () => {
      forgetFrame();
      stdout.write(HOME_AND_ERASE_DOWN);
    };
    stdout.prependListener("resize", startOver);
    return () => void stdout.off("resize", startOver);
  }, [stdout, forgetFrame]);
}
